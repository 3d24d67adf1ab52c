package video

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/turn/v4"
)

// ICEServer is one entry of RTCConfiguration.iceServers.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// TURN is how browsers reach STUN and TURN servers: the URLs of
// --turn-url, and the shared secret of --turn-secret from which each
// participant gets short-lived credentials (the TURN REST API
// convention, as coturn's use-auth-secret: username "expiry:userid",
// password base64(HMAC-SHA1(secret, username))).
type TURN struct {
	URLs   []string
	Secret string
	// TTL is how long credentials last (default 12 hours: a call's
	// window, not longer).
	TTL time.Duration
}

// ParseURLs splits --turn-url values, repeatable or comma-separated, and
// checks each is a stun:, turn: or turns: URL.
func ParseURLs(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, u := range strings.Split(v, ",") {
			u = strings.TrimSpace(u)
			if u == "" {
				continue
			}
			if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
				return nil, fmt.Errorf("--turn-url %q: want stun:, turn: or turns:", u)
			}
			out = append(out, u)
		}
	}
	return out, nil
}

// Credentials returns a username and password valid until expiry.
func Credentials(secret, user string, expiry time.Time) (username, password string) {
	username = strconv.FormatInt(expiry.Unix(), 10) + ":" + user
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Servers is the iceServers for one participant: STUN URLs as they are,
// TURN URLs with credentials when a secret is set. No third-party STUN
// server is added: without --turn-url, browsers use host candidates
// only (enough on one network, not across NATs).
func (t TURN) Servers(user string, now time.Time) []ICEServer {
	var stun, relay []string
	for _, u := range t.URLs {
		if strings.HasPrefix(u, "stun:") {
			stun = append(stun, u)
		} else {
			relay = append(relay, u)
		}
	}
	var out []ICEServer
	if len(stun) > 0 {
		out = append(out, ICEServer{URLs: stun})
	}
	if len(relay) > 0 {
		s := ICEServer{URLs: relay}
		if t.Secret != "" {
			ttl := t.TTL
			if ttl <= 0 {
				ttl = 12 * time.Hour
			}
			s.Username, s.Credential = Credentials(t.Secret, user, now.Add(ttl))
		}
		out = append(out, s)
	}
	return out
}

// checkCredentials is the embedded server's side of the convention: the
// key for a username that has not expired.
func checkCredentials(secret, username string, now time.Time) ([]byte, bool) {
	exp, _, ok := strings.Cut(username, ":")
	if !ok {
		return nil, false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.Unix() > unix {
		return nil, false
	}
	_, password := Credentials(secret, username[len(exp)+1:], time.Unix(unix, 0))
	return []byte(password), true
}

// Realm is the embedded TURN server's realm.
const Realm = "gpcloud"

// EmbeddedTURN is a TURN server (pion/turn) on UDP, for a single-binary
// set-up: it relays media between browsers that cannot reach each
// other, authenticating with the shared secret's short-lived
// credentials. addr is host:port; host must be the IP address browsers
// reach it on (relayed addresses are allocated on it).
type EmbeddedTURN struct {
	server *turn.Server
	// allocations counts relays made (tests prove media went through).
	allocations atomic.Int64
	// URL is the turn: URL browsers are given.
	URL string
}

// StartTURN starts the embedded TURN server.
func StartTURN(addr, secret string, log *slog.Logger) (*EmbeddedTURN, error) {
	if secret == "" {
		return nil, fmt.Errorf("--turn-embedded needs --turn-secret")
	}
	if log == nil {
		log = slog.Default()
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("--turn-embedded %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() {
		return nil, fmt.Errorf("--turn-embedded %q: give the IP address browsers reach (relays are allocated on it), e.g. 203.0.113.5:3478", addr)
	}
	conn, err := net.ListenPacket("udp4", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("--turn-embedded: %w", err)
	}
	t := &EmbeddedTURN{}
	s, err := turn.NewServer(turn.ServerConfig{
		Realm: Realm,
		AuthHandler: func(username, realm string, src net.Addr) ([]byte, bool) {
			password, ok := checkCredentials(secret, username, time.Now())
			if !ok {
				log.Warn("TURN: refused credentials", "remote", src.String())
				return nil, false
			}
			return turn.GenerateAuthKey(username, realm, string(password)), true
		},
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(_, _ net.Addr, _, _, _ string, _ net.Addr, _ int) { t.allocations.Add(1) },
		},
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn:            conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: ip, Address: host},
		}},
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("--turn-embedded: %w", err)
	}
	_, actual, _ := net.SplitHostPort(conn.LocalAddr().String())
	t.server, t.URL = s, "turn:"+net.JoinHostPort(host, actual)+"?transport=udp"
	return t, nil
}

// Allocations is how many relays browsers have allocated so far.
func (t *EmbeddedTURN) Allocations() int64 { return t.allocations.Load() }

// Close stops the server.
func (t *EmbeddedTURN) Close() error { return t.server.Close() }
