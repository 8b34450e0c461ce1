// Package auth holds what accounts need besides the database: password hashes (Argon2id),
// bearer tokens, email addresses, and the mail that carries a password-reset link.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2 holds the Argon2id parameters new hashes are made with. A stored hash names its own
// parameters, so raising them later changes new hashes only and old passwords still verify.
type Argon2 struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

const (
	saltBytes = 16
	keyBytes  = 32
)

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// Passwords hashes and checks passwords. Its zero value is not useful: see NewPasswords.
type Passwords struct {
	params Argon2
	// dummy is a hash of a random password, checked when there is no user to check against,
	// so that an unknown email costs the same time as a wrong password.
	dummy string
}

// NewPasswords returns a Passwords hashing with params.
func NewPasswords(params Argon2) (*Passwords, error) {
	p := &Passwords{params: params}
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	dummy, err := p.Hash(string(random))
	if err != nil {
		return nil, err
	}
	p.dummy = dummy
	return p, nil
}

// Hash returns the password's Argon2id hash in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$key), which Python's argon2-cffi reads too.
func (p *Passwords) Hash(password string) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.params.Iterations, p.params.MemoryKiB, p.params.Parallelism, keyBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		p.params.MemoryKiB, p.params.Iterations, p.params.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check reports whether password matches the stored hash encoded.
func (p *Passwords) Check(password, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var memory, iterations uint32
	var parallelism uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &iterations, &parallelism); err != nil {
		return false
	}
	salt, saltErr := b64.DecodeString(parts[4])
	key, keyErr := b64.DecodeString(parts[5])
	if saltErr != nil || keyErr != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iterations, memory, parallelism, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// CheckNobody spends the time Check would on a real hash, and fails: what a login with an
// unknown email does, so that its answer comes no faster than a wrong password's.
func (p *Passwords) CheckNobody(password string) bool {
	p.Check(password, p.dummy)
	return false
}
