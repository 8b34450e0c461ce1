package auth

import (
	"context"
	"log/slog"
	"net"
	"net/smtp"
	"net/url"
	"strings"
)

// Mailer sends one plain-text email.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// NewMailer returns a Mailer sending through the SMTP server of smtpURL
// (smtp://user:password@host:port, which config.Load checked; STARTTLS when the server offers
// it), or, when smtpURL is empty, one that writes each message to the log, so that development
// needs no mail server.
func NewMailer(smtpURL, from string, logger *slog.Logger) Mailer {
	u, err := url.Parse(smtpURL)
	if smtpURL == "" || err != nil {
		return logMailer{logger}
	}
	port := u.Port()
	if port == "" {
		port = "587"
	}
	m := smtpMailer{addr: net.JoinHostPort(u.Hostname(), port), from: from}
	if password, ok := u.User.Password(); ok {
		m.auth = smtp.PlainAuth("", u.User.Username(), password, u.Hostname())
	}
	return m
}

type logMailer struct{ logger *slog.Logger }

func (m logMailer) Send(ctx context.Context, to, subject, body string) error {
	m.logger.InfoContext(ctx, "mail (SMTP_URL is not set, so it is logged, not sent)",
		"to", to, "subject", subject, "body", body)
	return nil
}

type smtpMailer struct {
	addr string
	auth smtp.Auth
	from string
}

func (m smtpMailer) Send(_ context.Context, to, subject, body string) error {
	message := strings.Join([]string{
		"From: " + m.from,
		"To: " + to,
		"Subject: " + subject,
		"Content-Type: text/plain; charset=utf-8",
		"",
		body,
	}, "\r\n")
	return smtp.SendMail(m.addr, m.auth, m.from, []string{to}, []byte(message))
}
