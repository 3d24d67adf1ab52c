package video

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// Serve upgrades an authorised request to the call's WebSocket and runs
// it until either side closes. The caller has decided who the person is
// and that they belong to the call (the page's session); the upgrade
// itself checks that the page that opened it is of this origin
// (websocket.Accept refuses a cross-origin Origin header), so another
// site cannot open a call with the user's cookie.
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, callID string, who Who) {
	h.serving.Add(1)
	defer h.serving.Done()
	if h.closed() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	c, err := h.Calls.Get(r.Context(), callID)
	if err != nil {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	if err := c.Open(h.now()); err != nil {
		http.Error(w, "the call is not open", http.StatusGone)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	ws.SetReadLimit(PhotoLimit + 4<<10)
	// The connection outlives the request's context (the page's
	// handler returns only when it ends), but not the server.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	p, call, err := h.join(ctx, callID, who)
	if err != nil {
		ws.Close(websocket.StatusPolicyViolation, "not admitted to this call")
		return
	}
	defer h.leave(callID, p)
	p.send(presence(call, h.now()))
	go func() {
		defer cancel()
		for {
			select {
			case msg := <-p.out:
				wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
				err := ws.Write(wctx, websocket.MessageText, msg)
				wcancel()
				if err != nil {
					return
				}
			case <-p.kick:
				// Flush what was queued (the "ended" presence), then close.
			flush:
				for {
					select {
					case msg := <-p.out:
						wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
						_ = ws.Write(wctx, websocket.MessageText, msg)
						wcancel()
					default:
						break flush
					}
				}
				ws.Close(websocket.StatusNormalClosure, "")
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var m incoming
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if err := h.handle(ctx, callID, p, m); err != nil && !errors.Is(err, context.Canceled) {
			h.log.Warn("video: a message could not be passed on", "error", err)
		}
	}
}
