package auth

import (
	"strings"
	"testing"
)

// fast keeps the tests quick; production parameters are in config.
var fast = Argon2{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}

func TestPasswords(t *testing.T) {
	p, err := NewPasswords(fast)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := p.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") || strings.Contains(hash, "correct horse") {
		t.Errorf("hash = %q", hash)
	}
	again, _ := p.Hash("correct horse")
	if again == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !p.Check("correct horse", hash) || p.Check("correct horsf", hash) || p.Check("", hash) {
		t.Error("Check accepts the wrong password or refuses the right one")
	}
	for _, broken := range []string{"", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$a2V5", hash[:len(hash)-4] + "!!!!"} {
		if p.Check("correct horse", broken) {
			t.Errorf("Check accepted the malformed hash %q", broken)
		}
	}
	if p.CheckNobody("correct horse") {
		t.Error("CheckNobody succeeded")
	}
}

// A hash made by Python's argon2-cffi (PasswordHasher(time_cost=1, memory_cost=1024,
// parallelism=1)) verifies here, so a Python service can share the users table.
func TestPasswordsReadArgon2CFFI(t *testing.T) {
	p, _ := NewPasswords(fast)
	const fromPython = "$argon2id$v=19$m=1024,t=1,p=1$bXZwZ2VuLXNhbHQtMTIzNA$tqXQpAQlpV0OiaTAAupUvsDTjqP2iaI+kqst4jyLyQQ"
	if !p.Check("correct horse", fromPython) {
		t.Error("a hash from argon2-cffi did not verify")
	}
}

func TestTokens(t *testing.T) {
	one, hash, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	two, _, _ := NewToken()
	if len(one) != 43 || one == two || hash != HashToken(one) || len(hash) != 64 || strings.Contains(hash, one) {
		t.Errorf("token %q, hash %q", one, hash)
	}
}

func TestEmails(t *testing.T) {
	if got := NormalizeEmail("  Ann@Example.COM "); got != "ann@example.com" {
		t.Errorf("NormalizeEmail = %q", got)
	}
	for _, ok := range []string{"ann@example.com", "a.b+c@sub.example.org", "o'neil@example.com"} {
		if !ValidEmail(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "ann", "ann@", "@example.com", "ann@localhost", "Ann <ann@example.com>", "a b@example.com", strings.Repeat("a", 250) + "@example.com"} {
		if ValidEmail(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}
