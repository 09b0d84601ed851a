// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/oidc"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// testOP is a real OpenID provider (zitadel's op package over its example
// in-memory storage) served over HTTP by the test. Its login page signs in
// whichever user the test names next, without a form; its token endpoint
// can be made to hand out a tampered ID token.
type testOP struct {
	*storage.Storage
	srv      *httptest.Server
	provider *op.Provider

	mu        sync.Mutex
	users     map[string]*storage.User
	assurance map[string][]string // userinfo's eduperson_assurance per user
	next      string              // the user the login page signs in
	tamper    func(claims map[string]any) (key *rsa.PrivateKey)
}

// opUsers is the test provider's user store.
type opUsers struct{ op *testOP }

func (u opUsers) GetUserByID(id string) *storage.User {
	u.op.mu.Lock()
	defer u.op.mu.Unlock()
	return u.op.users[id]
}
func (u opUsers) GetUserByUsername(name string) *storage.User { return u.GetUserByID(name) }
func (u opUsers) ExampleClientID() string                     { return "service" }

// SetUserinfoFromToken adds eduperson_assurance to userinfo, where
// MyAccessID sends it (never in the ID token).
func (o *testOP) SetUserinfoFromToken(ctx context.Context, info *zoidc.UserInfo, tokenID, subject, origin string) error {
	if err := o.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if a := o.assurance[info.Subject]; a != nil {
		info.AppendClaims("eduperson_assurance", a)
	}
	return nil
}

const (
	testClientID     = "pactum"
	testClientSecret = "s3cret"
)

func newTestOP(t *testing.T, redirectURI string) *testOP {
	t.Helper()
	o := &testOP{users: map[string]*storage.User{}, assurance: map[string][]string{}}
	o.Storage = storage.NewStorageWithClients(opUsers{o}, map[string]*storage.Client{
		testClientID: storage.WebClient(testClientID, testClientSecret, redirectURI),
	})
	var handler http.Handler
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(o.srv.Close)
	p, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("test")), CodeMethodS256: true, AuthMethodPost: true},
		o, op.StaticIssuer(o.srv.URL), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	o.provider = p
	mux := http.NewServeMux()
	// The login page: the person named next signs in at once.
	mux.Handle("/login/username", op.NewIssuerInterceptor(p.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("authRequestID")
		o.mu.Lock()
		who := o.next
		o.mu.Unlock()
		if err := o.CheckUsernamePassword(who, "pw", id); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(p)(r.Context(), id), http.StatusFound)
	}))
	mux.Handle("/oauth/token", http.HandlerFunc(o.token))
	mux.Handle("/", p)
	handler = mux
	return o
}

// subjectOf is the provider's subject for a test's name of a person:
// name@myaccessid.org, as MyAccessID's look, unless the name has an @.
func subjectOf(name string) string {
	if strings.Contains(name, "@") {
		return name
	}
	return name + "@myaccessid.org"
}

// addUser adds a person to the provider.
func (o *testOP) addUser(sub, email string, verified bool, assurance ...string) {
	sub = subjectOf(sub)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.users[sub] = &storage.User{ID: sub, Username: sub, Password: "pw", FirstName: "Test", LastName: sub, Email: email, EmailVerified: verified}
	if assurance != nil {
		o.assurance[sub] = assurance
	}
}

func (o *testOP) signInAs(sub string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next = subjectOf(sub)
}

// token serves the provider's token endpoint, re-signing the ID token
// when the test asked for a tampered one: tamper edits its claims and
// returns the key to sign with (nil: the provider's own).
func (o *testOP) token(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	tamper := o.tamper
	o.mu.Unlock()
	if tamper == nil {
		o.provider.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	o.provider.ServeHTTP(rec, r)
	var body map[string]any
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	raw, _ := body["id_token"].(string)
	parts := strings.Split(raw, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err == nil {
		err = json.Unmarshal(payload, &claims)
	}
	if err != nil {
		http.Error(w, "bad id token", 500)
		return
	}
	key := tamper(claims)
	sk, _ := o.Storage.SigningKey(r.Context())
	if key == nil {
		key = sk.Key().(*rsa.PrivateKey)
	}
	// The same key ID as the provider's: a forgery claims to be its key.
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: sk.ID()}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	b, _ := json.Marshal(claims)
	jws, err := signer.Sign(b)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	body["id_token"], _ = jws.CompactSerialize()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(body)
}

// signInEnv is pactum served over TLS with sign-in through a testOP.
type signInEnv struct {
	url     string
	op      *testOP
	uc      *usecase.App
	manager context.Context
	clock   *storetest.Clock
	db      *sqlstore.DB
	tls     *http.Client // trusts the test server's certificate
}

const (
	iapMedium = "https://refeds.org/assurance/IAP/medium"
	iapLow    = "https://refeds.org/assurance/IAP/low"
)

func newSignInEnv(t *testing.T, dialect string) *signInEnv {
	t.Helper()
	e := &signInEnv{clock: &storetest.Clock{T: time.Now().UTC().Truncate(time.Second)}}
	db, err := sqlstore.Open(context.Background(), storetest.DSN(t, dialect), sqlstore.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	rubric, err := catalog.Rubric()
	if err != nil {
		t.Fatal(err)
	}
	e.uc = usecase.New(usecase.Config{Store: db, Rubric: rubric, Now: e.clock.Now,
		Assurance: pactum.AssurancePolicy{pactum.RoleReviewer: {iapMedium}}})
	storetest.SeedCatalogue(t, db)
	mgr, _, err := e.uc.Bootstrap(context.Background(), "mara@eurohpc.example", "Mara Manager")
	if err != nil {
		t.Fatal(err)
	}
	e.manager = pactum.NewContextWithUser(context.Background(), mgr)

	var handler http.Handler
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	ts.StartTLS()
	t.Cleanup(ts.Close)
	e.url, e.tls = ts.URL, ts.Client()
	e.op = newTestOP(t, e.url+"/auth/callback")

	// Discovery happens here, over HTTP, from the provider's document.
	rp, err := oidc.New(context.Background(), oidc.Config{Issuer: e.op.srv.URL, ClientID: testClientID, ClientSecret: testClientSecret,
		RedirectURL: e.url + "/auth/callback", SubjectSuffix: "@myaccessid.org"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := pactumhttp.Config{Health: db.Ping, Now: e.clock.Now}
	cfg.Serve(e.uc)
	// The portal is not mounted here: after sign-in, the API tells who.
	cfg.SignIn = &pactumhttp.SignInConfig{Provider: rp, Sessions: e.uc, AfterLogin: "/api/v1/me"}
	srv, err := pactumhttp.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A page as the portal will have one: RequireSession in front.
	mux := http.NewServeMux()
	mux.Handle("/portal/form", srv.RequireSession(func(w http.ResponseWriter, r *http.Request, u *pactum.User, csrf string) {
		if pactum.UserFromContext(r.Context()) != u {
			t.Error("the user is not in the request's context")
		}
		fmt.Fprintf(w, "%s %s %s", r.Method, u.ID, csrf)
	}))
	mux.Handle("/", srv.Handler())
	handler = mux
	return e
}

// invite creates a pactum user (the invitation).
func (e *signInEnv) invite(t *testing.T, email string, role pactum.Role) *pactum.User {
	t.Helper()
	u := &pactum.User{Email: email, Name: "Invited " + email, Role: role}
	if role == pactum.RoleApplicant {
		org := &pactum.Organization{LegalName: "Org of " + email, Country: "FI", RegistrationNumber: "FI-" + email, FoundedOn: pactum.DateOf(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)), Staff: 10}
		if err := e.uc.CreateOrganization(e.manager, org); err != nil {
			t.Fatal(err)
		}
		u.OrganizationID = org.ID
	}
	if err := e.uc.CreateUser(e.manager, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// browser is a TLS client with a cookie jar that follows redirects,
// calling beforeCallback (when set) on the way back to pactum.
type browser struct {
	*http.Client
	jar            *cookiejar.Jar
	beforeCallback func(r *http.Request)
	e              *signInEnv
}

func (e *signInEnv) browser(t *testing.T, tls *http.Client) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{jar: jar, e: e}
	c := *tls
	c.Jar = jar
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		if r.URL.Path == "/auth/callback" && b.beforeCallback != nil {
			b.beforeCallback(r)
		}
		return nil
	}
	b.Client = &c
	return b
}

// get fetches a URL and returns its status and body.
func (b *browser) do(t *testing.T, method, path string, body io.Reader, header map[string]string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, b.e.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

// signIn runs the whole flow: /auth/login, the provider, /auth/callback,
// then pactum's page after sign-in (/api/v1/me).
func (b *browser) signIn(t *testing.T, sub string) (int, string, http.Header) {
	t.Helper()
	b.e.op.signInAs(sub)
	return b.do(t, "GET", "/auth/login", nil, nil)
}

func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.url)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func TestSignInFlow(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		e := newSignInEnv(t, dialect)
		tls := e.tls

		// Discovery and keys, as any relying party sees them.
		resp, err := http.Get(e.op.srv.URL + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		var disc struct {
			Issuer  string   `json:"issuer"`
			JWKS    string   `json:"jwks_uri"`
			Methods []string `json:"code_challenge_methods_supported"`
		}
		json.NewDecoder(resp.Body).Decode(&disc)
		resp.Body.Close()
		if disc.Issuer != e.op.srv.URL || disc.JWKS == "" || !strings.Contains(strings.Join(disc.Methods, " "), "S256") {
			t.Fatalf("discovery: %+v", disc)
		}
		resp, err = http.Get(disc.JWKS)
		if err != nil {
			t.Fatal(err)
		}
		var jwks jose.JSONWebKeySet
		json.NewDecoder(resp.Body).Decode(&jwks)
		resp.Body.Close()
		if len(jwks.Keys) == 0 {
			t.Fatal("no keys published")
		}
		// A relying party for another issuer than the document names fails.
		if _, err := oidc.New(context.Background(), oidc.Config{Issuer: e.op.srv.URL + "/other", ClientID: "x", RedirectURL: e.url + "/auth/callback"}); err == nil {
			t.Error("discovery of a wrong issuer succeeded")
		}

		// /auth/login sends the browser to the provider with state, nonce
		// and an S256 PKCE challenge, keeping them in a __Host- cookie.
		noFollow := *tls
		noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err = noFollow.Get(e.url + "/auth/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		q := loc.Query()
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), e.op.srv.URL) || q.Get("state") == "" || q.Get("nonce") == "" ||
			q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" || q.Get("client_id") != testClientID {
			t.Fatalf("login redirect %d %s", resp.StatusCode, loc)
		}
		if sc := resp.Header.Get("Set-Cookie"); !strings.HasPrefix(sc, "__Host-pactum_signin=") || !strings.Contains(sc, "Secure") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
			t.Errorf("flow cookie: %s", sc)
		}

		// First sign-in: linked to the invited user by the verified e-mail.
		ada := e.invite(t, "ada@aleph.example", pactum.RoleApplicant)
		e.op.addUser("ada-sub", "ada@aleph.example", true)
		b := e.browser(t, tls)
		code, body, h := b.signIn(t, "ada-sub")
		if code != 200 || !strings.Contains(body, ada.ID) {
			t.Fatalf("sign in: %d %s", code, body)
		}
		csrf := h.Get("X-CSRF-Token")
		secret := b.cookie(pactumhttp.SessionCookie)
		if csrf == "" || !strings.HasPrefix(secret, usecase.SessionPrefix) || csrf != pactumhttp.CSRFToken(secret) {
			t.Fatalf("session %q csrf %q", secret, csrf)
		}
		// The API takes the session cookie; a state-changing request
		// needs the CSRF token, a bearer token does not.
		tokenBody := `{"name":"laptop"}`
		if code, body, _ := b.do(t, "POST", "/api/v1/users/"+ada.ID+"/tokens", strings.NewReader(tokenBody), map[string]string{"Content-Type": "application/json"}); code != 403 || !strings.Contains(body, "CSRF") {
			t.Fatalf("POST without CSRF token: %d %s", code, body)
		}
		if code, body, _ := b.do(t, "POST", "/api/v1/users/"+ada.ID+"/tokens", strings.NewReader(tokenBody), map[string]string{"Content-Type": "application/json", "X-CSRF-Token": "forged"}); code != 403 {
			t.Fatalf("POST with a wrong CSRF token: %d %s", code, body)
		}
		code, body, _ = b.do(t, "POST", "/api/v1/users/"+ada.ID+"/tokens", strings.NewReader(tokenBody), map[string]string{"Content-Type": "application/json", "X-CSRF-Token": csrf})
		if code != 201 {
			t.Fatalf("POST with the CSRF token: %d %s", code, body)
		}
		var created struct {
			Secret string `json:"secret"`
		}
		json.Unmarshal([]byte(body), &created)
		if code, body, _ := b.do(t, "POST", "/api/v1/users/"+ada.ID+"/tokens", strings.NewReader(`{"name":"ci"}`),
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + created.Secret}); code != 201 {
			t.Fatalf("bearer token beside the cookie: %d %s", code, body)
		}

		// A portal page: any method with the session, state-changing
		// ones only with the CSRF token (form field or header).
		if code, body, _ := b.do(t, "GET", "/portal/form", nil, nil); code != 200 || body != "GET "+ada.ID+" "+csrf {
			t.Errorf("portal GET: %d %s", code, body)
		}
		formType := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		if code, body, _ := b.do(t, "POST", "/portal/form", strings.NewReader("title=x"), formType); code != 403 {
			t.Errorf("portal POST without CSRF: %d %s", code, body)
		}
		if code, body, _ := b.do(t, "POST", "/portal/form", strings.NewReader(url.Values{"csrf_token": {csrf}}.Encode()), formType); code != 200 {
			t.Errorf("portal POST with CSRF: %d %s", code, body)
		}
		if code, body, _ := b.do(t, "DELETE", "/portal/form", nil, map[string]string{"X-CSRF-Token": csrf}); code != 200 {
			t.Errorf("portal DELETE with CSRF header: %d %s", code, body)
		}
		if code, _, _ := e.browser(t, tls).do(t, "GET", "/portal/form", nil, nil); code != 401 {
			t.Errorf("portal without a session: %d", code)
		}

		// Signing in again in the same browser ends its previous session.
		if code, _, _ := b.signIn(t, "ada-sub"); code != 200 {
			t.Fatalf("sign in again: %d", code)
		}
		if b.cookie(pactumhttp.SessionCookie) == secret {
			t.Fatal("the session secret did not change at sign-in")
		}
		if _, _, err := e.uc.AuthenticateSession(context.Background(), secret); pactum.ErrorCode(err) != pactum.EUNAUTHORIZED {
			t.Errorf("the previous session still works: %v", err)
		}
		secret = b.cookie(pactumhttp.SessionCookie)
		_, _, h = b.do(t, "GET", "/api/v1/me", nil, nil)
		csrf = h.Get("X-CSRF-Token")

		// Later sign-ins find the link by subject.
		b2 := e.browser(t, tls)
		if code, body, _ := b2.signIn(t, "ada-sub"); code != 200 || !strings.Contains(body, ada.ID) {
			t.Fatalf("second sign in: %d %s", code, body)
		}

		// Logout: a POST with the CSRF token (a form's field); without it
		// a page of another site could sign people out.
		if code, _, _ := b.do(t, "POST", "/auth/logout", nil, nil); code != 403 {
			t.Fatalf("logout without CSRF: %d", code)
		}
		form := url.Values{"csrf_token": {csrf}}
		if code, body, _ := b.do(t, "POST", "/auth/logout", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); code != 200 {
			t.Fatalf("logout: %d %s", code, body)
		}
		if b.cookie(pactumhttp.SessionCookie) != "" {
			t.Error("the session cookie stayed after logout")
		}
		// The old secret is dead even if the browser kept it.
		if code, _, _ := b.do(t, "GET", "/api/v1/me", nil, map[string]string{"Cookie": pactumhttp.SessionCookie + "=" + secret}); code != 401 {
			t.Errorf("after logout: %d", code)
		}
		if code, _, _ := b2.do(t, "GET", "/api/v1/me", nil, nil); code != 200 {
			t.Errorf("the other browser's session ended too: %d", code)
		}

		// Deactivation ends the other session at once.
		if _, err := e.uc.DeactivateUser(e.manager, ada.ID); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := b2.do(t, "GET", "/api/v1/me", nil, nil); code != 401 {
			t.Errorf("deactivated user's session: %d", code)
		}
		if code, body, _ := e.browser(t, tls).signIn(t, "ada-sub"); code != 403 || !strings.Contains(body, "deactivated") {
			t.Errorf("deactivated user signs in: %d %s", code, body)
		}
	})
}

func TestSignInRefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		e := newSignInEnv(t, dialect)
		tls := e.tls
		e.invite(t, "ada@aleph.example", pactum.RoleApplicant)
		e.invite(t, "rui@review.example", pactum.RoleReviewer)
		e.op.addUser("unverified", "ada@aleph.example", false)
		e.op.addUser("stranger", "eve@evil.example", true)
		e.op.addUser("ada", "ada@aleph.example", true)
		e.op.addUser("ada-twin", "ada@aleph.example", true)
		e.op.addUser("rui-low", "rui@review.example", true, iapLow)
		e.op.addUser("test@myaccessid.org", "ada@aleph.example", true)
		e.op.addUser("ada@elsewhere.example", "ada@aleph.example", true)

		for _, c := range []struct {
			sub, want string
			code      int
		}{
			{"test@myaccessid.org", "not one of its personal identities", 401},
			{"ada@elsewhere.example", "must end in @myaccessid.org", 401},
			{"unverified", "not verified", 403},
			{"stranger", "Ask an access manager to invite you", 403},
			{"ada", "", 200},
			{"ada-twin", "already linked to another identity", 403},
			{"rui-low", iapMedium, 403},
		} {
			b := e.browser(t, tls)
			code, body, _ := b.signIn(t, c.sub)
			if code != c.code || !strings.Contains(body, c.want) {
				t.Errorf("%s: %d %s", c.sub, code, body)
			}
			if c.code != 200 && b.cookie(pactumhttp.SessionCookie) != "" {
				t.Errorf("%s: refused, but a session cookie was set", c.sub)
			}
		}
		// The reviewer's provider now asserts IAP/medium (in userinfo only).
		e.op.addUser("rui-low", "rui@review.example", true, iapLow, iapMedium)
		if code, body, _ := e.browser(t, tls).signIn(t, "rui-low"); code != 200 {
			t.Errorf("reviewer with IAP/medium: %d %s", code, body)
		}
	})
}

func TestSignInTamperedAnswers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		e := newSignInEnv(t, dialect)
		tls := e.tls
		e.invite(t, "ada@aleph.example", pactum.RoleApplicant)
		e.op.addUser("ada", "ada@aleph.example", true)
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name           string
			tamper         func(map[string]any) *rsa.PrivateKey
			beforeCallback func(b *browser, r *http.Request)
			want           string
		}{
			{name: "expired ID token", want: "token is expired", tamper: func(c map[string]any) *rsa.PrivateKey {
				c["exp"] = time.Now().Add(-time.Hour).Unix()
				c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
				return nil
			}},
			{name: "forged ID token (another key)", want: "failed to verify id token signature", tamper: func(c map[string]any) *rsa.PrivateKey { return other }},
			{name: "ID token for another client", want: "expected audience", tamper: func(c map[string]any) *rsa.PrivateKey {
				c["aud"] = []string{"someone-else"}
				return nil
			}},
			{name: "ID token of another issuer", want: "issued by a different provider", tamper: func(c map[string]any) *rsa.PrivateKey {
				c["iss"] = "https://evil.example"
				return nil
			}},
			{name: "wrong nonce", want: "nonce", tamper: func(c map[string]any) *rsa.PrivateKey {
				c["nonce"] = "replayed"
				return nil
			}},
			{name: "ID token bound to another access token", want: "access token does not belong", tamper: func(c map[string]any) *rsa.PrivateKey {
				c["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA"
				return nil
			}},
			{name: "wrong state", want: "state mismatch", beforeCallback: func(_ *browser, r *http.Request) {
				q := r.URL.Query()
				q.Set("state", "attacker")
				r.URL.RawQuery = q.Encode()
			}},
			{name: "wrong PKCE verifier", want: "refused the authorization code", beforeCallback: func(b *browser, r *http.Request) {
				// The flow cookie with another verifier: the provider
				// refuses the code.
				raw, _ := base64.RawURLEncoding.DecodeString(b.cookie("__Host-pactum_signin"))
				var f map[string]any
				json.Unmarshal(raw, &f)
				f["v"] = "another-verifier-another-verifier-another-verifier"
				raw, _ = json.Marshal(f)
				u, _ := url.Parse(b.e.url)
				b.jar.SetCookies(u, []*http.Cookie{{Name: "__Host-pactum_signin", Value: base64.RawURLEncoding.EncodeToString(raw), Path: "/", Secure: true, HttpOnly: true}})
			}},
			{name: "no flow cookie", want: "not started here", beforeCallback: func(b *browser, r *http.Request) {
				u, _ := url.Parse(b.e.url)
				b.jar.SetCookies(u, []*http.Cookie{{Name: "__Host-pactum_signin", Value: "", Path: "/", MaxAge: -1}})
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				e.op.mu.Lock()
				e.op.tamper = c.tamper
				e.op.mu.Unlock()
				b := e.browser(t, tls)
				if c.beforeCallback != nil {
					b.beforeCallback = func(r *http.Request) { c.beforeCallback(b, r) }
				}
				code, body, _ := b.signIn(t, "ada")
				if code != 401 || !strings.Contains(body, c.want) {
					t.Errorf("%d %s", code, body)
				}
				if b.cookie(pactumhttp.SessionCookie) != "" {
					t.Error("a session cookie was set")
				}
			})
		}
		// Untampered, the same browser path works.
		e.op.tamper = nil
		if code, body, _ := e.browser(t, tls).signIn(t, "ada"); code != 200 {
			t.Errorf("untampered: %d %s", code, body)
		}
		// The provider's own error is shown, clipped.
		b := e.browser(t, tls)
		code, body, _ := b.do(t, "GET", "/auth/callback?error=access_denied&error_description="+url.QueryEscape("no\nway"), nil, nil)
		if code != 401 || !strings.Contains(body, "access_denied no way") {
			t.Errorf("provider error: %d %s", code, body)
		}
		// An open redirect is refused.
		if code, _, _ := b.do(t, "GET", "/auth/login?next="+url.QueryEscape("//evil.example/"), nil, nil); code != 400 {
			t.Errorf("next=//evil.example: %d", code)
		}
	})
}
