package eps

import (
	"context"
	"errors"
	"testing"
)

// TestNotConnected: the stand-in never reports a prescription sent or
// cancelled, so no caller can take its answer for a pharmacy's.
func TestNotConnected(t *testing.T) {
	var s Service = NotConnected{}
	if s.Connected() {
		t.Error("the stand-in says it is connected")
	}
	if err := s.Send(context.Background(), nil); !errors.Is(err, ErrNotConnected) {
		t.Errorf("send: %v", err)
	}
	if err := s.Cancel(context.Background(), "88AF6C-C81007-00001C", "wrong strength"); !errors.Is(err, ErrNotConnected) {
		t.Errorf("cancel: %v", err)
	}
}
