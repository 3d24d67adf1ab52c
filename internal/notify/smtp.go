package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// SMTP sends email through an SMTP server given as a URL:
// smtp://[user:password@]host[:port]?from=address (STARTTLS when the
// server offers it; required unless the host is this machine) or
// smtps://... (TLS from the start, port 465).
type SMTP struct {
	addr, host   string
	implicitTLS  bool
	user, pass   string
	from         string
	allowPlain   bool
	dialTimeout  time.Duration
	tlsTransport *tls.Config
}

// ParseSMTP reads an --smtp-url.
func ParseSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("notify: --smtp-url must be smtp://[user:password@]host[:port]?from=address or smtps://..., got %q", raw)
	}
	from := u.Query().Get("from")
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("notify: --smtp-url needs ?from=<the practice's address>: %v", err)
	}
	s := &SMTP{host: u.Hostname(), from: from, implicitTLS: u.Scheme == "smtps", dialTimeout: 10 * time.Second}
	port := u.Port()
	if port == "" {
		port = "587"
		if s.implicitTLS {
			port = "465"
		}
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	// Plain text is acceptable only to a relay on this machine.
	s.allowPlain = s.host == "localhost" || s.host == "127.0.0.1" || s.host == "::1"
	s.tlsTransport = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	return s, nil
}

// Send sends one email: plain text, UTF-8, with the message's key as its
// Message-ID (a resend after a crash carries the same one).
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("notify: %q is not an email address", m.To)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("notify: a subject may not hold a line break")
	}
	d := net.Dialer{Timeout: s.dialTimeout}
	var conn net.Conn
	if s.implicitTLS {
		conn, err = tls.DialWithDialer(&d, "tcp", s.addr, s.tlsTransport)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(time.Minute))
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsTransport); err != nil {
				return err
			}
		} else if !s.allowPlain {
			return fmt.Errorf("notify: %s offers no STARTTLS: refusing to send patients' email in clear text", s.addr)
		}
	}
	if s.user != "" {
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			return err
		}
	}
	if err := c.Mail(s.from); err != nil {
		return err
	}
	if err := c.Rcpt(to.Address); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	msg := "From: " + s.from + "\r\n" +
		"To: " + to.String() + "\r\n" +
		"Subject: " + mimeWord(m.Subject) + "\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
		"Message-ID: <" + messageID(m.Key) + "@gpcloud>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n"
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// mimeWord encodes a subject that is not plain ASCII.
func mimeWord(s string) string {
	for _, r := range s {
		if r > 126 {
			return "=?utf-8?q?" + strings.NewReplacer("=", "=3D", "?", "=3F", "_", "=5F", " ", "_").Replace(s) + "?="
		}
	}
	return s
}

// messageID is a key as a Message-ID's local part.
func messageID(key string) string {
	var b strings.Builder
	for _, r := range key {
		if r < 128 && (r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "=%02X", r)
		}
	}
	return b.String()
}
