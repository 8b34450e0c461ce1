package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/mail"
	"strings"
)

// NewToken returns a new bearer token, 256 random bits in URL-safe base64, and its hash: only
// the hash is stored, so a copy of the database opens no account.
func NewToken() (token, hash string, err error) {
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return "", "", err
	}
	token = base64.RawURLEncoding.EncodeToString(random)
	return token, HashToken(token), nil
}

// HashToken is the stored form of a token. A fast hash is enough: the token has 256 bits of
// entropy, so there is nothing to guess, unlike a password.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NormalizeEmail is the form an address is stored and looked up in: addresses are unique
// whatever their case.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ValidEmail reports whether email (normalized) is one plain address: local@domain.tld, at most
// 255 characters, without a display name.
func ValidEmail(email string) bool {
	if len(email) > 255 {
		return false
	}
	parsed, err := mail.ParseAddress(email)
	if err != nil || parsed.Address != email || parsed.Name != "" {
		return false
	}
	_, domain, _ := strings.Cut(email, "@")
	return strings.Contains(domain, ".")
}
