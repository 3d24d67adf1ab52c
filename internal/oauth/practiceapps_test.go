package oauth

import (
	"context"
	"slices"
	"testing"
)

// TestPracticeApps: a practice allows registered apps one by one, never a
// backend service or an unknown id; another practice's list is its own;
// revoking takes one off.
func TestPracticeApps(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	for _, c := range []Client{
		{ID: "app-a", Kind: KindPublic, Scopes: "patient/*.rs", RedirectURIs: []string{"https://a.example/cb"}},
		{ID: "app-b", Kind: KindPublic, Scopes: "patient/*.rs", RedirectURIs: []string{"https://b.example/cb"}},
		{ID: "backend", Kind: KindSystem, Scopes: "system/*.rs", JWKSURL: "https://backend.example/jwks"},
	} {
		if err := RegisterClient(ctx, s.Store, c); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name    string
		do      func() error
		wantErr bool
		want    []string
	}{
		{"nothing allowed at first", func() error { return nil }, false, nil},
		{"allow one", func() error { return AllowApp(ctx, s.Store, "org-a", "app-b") }, false, []string{"app-b"}},
		{"allow another, kept sorted", func() error { return AllowApp(ctx, s.Store, "org-a", "app-a") }, false, []string{"app-a", "app-b"}},
		{"allowing twice changes nothing", func() error { return AllowApp(ctx, s.Store, "org-a", "app-a") }, false, []string{"app-a", "app-b"}},
		{"a backend service is refused", func() error { return AllowApp(ctx, s.Store, "org-a", "backend") }, true, []string{"app-a", "app-b"}},
		{"an unknown id is refused", func() error { return AllowApp(ctx, s.Store, "org-a", "nope") }, true, []string{"app-a", "app-b"}},
		{"another practice's list is apart", func() error { return AllowApp(ctx, s.Store, "org-b", "app-b") }, false, []string{"app-a", "app-b"}},
		{"revoke", func() error { return RevokeApp(ctx, s.Store, "org-a", "app-b") }, false, []string{"app-a"}},
	}
	for _, step := range steps {
		if err := step.do(); (err != nil) != step.wantErr {
			t.Fatalf("%s: %v", step.name, err)
		}
		got, err := AllowedApps(ctx, s.Store, "org-a")
		if err != nil || !slices.Equal(got, step.want) {
			t.Fatalf("%s: allowed %v (%v), want %v", step.name, got, err, step.want)
		}
	}
	if ok, _ := AppAllowed(ctx, s.Store, "org-b", "app-b"); !ok {
		t.Error("org-b's app not allowed")
	}
	if ok, _ := AppAllowed(ctx, s.Store, "org-b", "app-a"); ok {
		t.Error("org-a's choice leaked to org-b")
	}
}
