package gpconnect

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The consumer's JWT, as "Cross-organisation audit and provenance"
// specifies it: unsigned (alg "none", an empty signature: the Spine
// Secure Proxy has authenticated the consumer system by TLS), minted for
// each request, valid five minutes, carrying who asks for what and why.
// It is evidence for the audit, not a credential: what the consumer may
// do is decided by the directory (its ASID) and the service.

// Identifier systems the claims must use.
const (
	ODSSystem          = "https://fhir.nhs.uk/Id/ods-organization-code"
	SDSUserSystem      = "https://fhir.nhs.uk/Id/sds-user-id"
	SDSRoleSystem      = "https://fhir.nhs.uk/Id/sds-role-profile-id"
	NHSNumberSystem    = "https://fhir.nhs.uk/Id/nhs-number"
	tokenLifetime      = 300 // seconds: exp = iat + 300
	clockSkew          = 60 * time.Second
	maxTokenBytes      = 16 << 10
	legacyAudience     = "https://authorize.fhir.nhs.net/token"
	reasonDirectCare   = "directcare"
	confidentialNormal = "conf/N"
)

// Claims are the JWT's claims GP Connect requires.
type Claims struct {
	Iss                    string          `json:"iss"`
	Sub                    string          `json:"sub"`
	Aud                    string          `json:"aud"`
	Exp                    int64           `json:"exp"`
	Iat                    int64           `json:"iat"`
	ReasonForRequest       string          `json:"reason_for_request"`
	RequestedScope         string          `json:"requested_scope"`
	RequestingDevice       claimResource   `json:"requesting_device"`
	RequestingOrganization claimResource   `json:"requesting_organization"`
	RequestingPractitioner claimPractioner `json:"requesting_practitioner"`
}

type claimIdentifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

type claimResource struct {
	ResourceType string            `json:"resourceType"`
	Identifier   []claimIdentifier `json:"identifier"`
	Name         string            `json:"name"`
	Model        string            `json:"model"`
	Version      string            `json:"version"`
}

type claimName struct {
	Family any      `json:"family"` // a string in STU3; some consumers send a list
	Given  []string `json:"given"`
	Prefix []string `json:"prefix"`
}

type claimPractioner struct {
	ResourceType string            `json:"resourceType"`
	ID           string            `json:"id"`
	Identifier   []claimIdentifier `json:"identifier"`
	Name         []claimName       `json:"name"`
}

func identifierValue(ids []claimIdentifier, system string) (string, bool) {
	for _, id := range ids {
		if id.System == system {
			return id.Value, true
		}
	}
	return "", false
}

func (n claimName) family() string {
	switch f := n.Family.(type) {
	case string:
		return f
	case []any:
		var parts []string
		for _, p := range f {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// ParseJWT decodes an unsigned GP Connect JWT ("header.payload." with an
// empty signature) without judging its claims. A signed token is refused
// too: the specification requires alg "none", and a token we cannot
// verify must not look verified.
func ParseJWT(token string) (*Claims, *Error) {
	if len(token) > maxTokenBytes {
		return nil, errorf(BadRequest, "the JWT is too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errorf(BadRequest, "the JWT must have three parts (header.payload.signature), the last empty")
	}
	if parts[2] != "" {
		return nil, errorf(BadRequest, "the JWT must be unsigned (alg none, empty signature)")
	}
	var header struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	if err := decodePart(parts[0], &header); err != nil {
		return nil, errorf(BadRequest, "the JWT header cannot be read: %v", err)
	}
	if header.Alg != "none" {
		return nil, errorf(BadRequest, "the JWT header's alg must be \"none\", not %q", header.Alg)
	}
	var c Claims
	if err := decodePart(parts[1], &c); err != nil {
		return nil, errorf(BadRequest, "the JWT payload cannot be read: %v", err)
	}
	return &c, nil
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Check judges the claims for an interaction needing scope (patient/*.read,
// patient/*.write, organization/*.read) at now, and returns the consumer
// they describe. audiences are the service roots the token may name.
func (c *Claims) Check(scope string, audiences []string, now time.Time) (*Consumerinfo, *Error) {
	bad := func(format string, args ...any) (*Consumerinfo, *Error) {
		return nil, errorf(BadRequest, "JWT: "+format, args...)
	}
	switch {
	case c.Iss == "":
		return bad("iss (the consumer's endpoint) is missing")
	case c.Sub == "":
		return bad("sub (the requesting user's id) is missing")
	case c.Aud == "":
		return bad("aud (the provider's service root) is missing")
	case c.Aud != legacyAudience && !slices.Contains(audiences, strings.TrimRight(c.Aud, "/")):
		return bad("aud %q is not this provider's service root", c.Aud)
	case c.Iat == 0 || c.Exp == 0:
		return bad("iat and exp are required")
	case c.Exp-c.Iat != tokenLifetime:
		return bad("exp must be iat + 300 seconds, it is iat + %d", c.Exp-c.Iat)
	case time.Unix(c.Iat, 0).After(now.Add(clockSkew)):
		return bad("iat is in the future")
	case !now.Before(time.Unix(c.Exp, 0)):
		return bad("the token expired at %s", time.Unix(c.Exp, 0).UTC().Format(time.RFC3339))
	case c.ReasonForRequest != reasonDirectCare:
		return bad("reason_for_request must be %q, not %q (migration is not offered)", reasonDirectCare, c.ReasonForRequest)
	}
	scopes := strings.Fields(c.RequestedScope)
	if len(scopes) == 0 || scopes[0] != scope {
		return bad("requested_scope must be %q for this interaction, not %q", scope, c.RequestedScope)
	}
	for _, s := range scopes[1:] {
		if s != confidentialNormal {
			// conf/R is for GP2GP transfers, which this provider does not offer.
			return bad("requested_scope %q is not offered (only conf/N)", s)
		}
	}
	d := c.RequestingDevice
	if d.ResourceType != "Device" || len(d.Identifier) == 0 || d.Identifier[0].System == "" || d.Identifier[0].Value == "" || d.Model == "" || d.Version == "" {
		return bad("requesting_device must be a Device with an identifier (system and value), model and version")
	}
	o := c.RequestingOrganization
	ods, ok := identifierValue(o.Identifier, ODSSystem)
	if o.ResourceType != "Organization" || !ok || ods == "" || o.Name == "" {
		return bad("requesting_organization must be an Organization with a name and an ODS code (%s)", ODSSystem)
	}
	p := c.RequestingPractitioner
	if p.ResourceType != "Practitioner" || p.ID == "" {
		return bad("requesting_practitioner must be a Practitioner with an id")
	}
	if p.ID != c.Sub {
		return bad("requesting_practitioner.id %q must equal sub %q", p.ID, c.Sub)
	}
	sds, okUser := identifierValue(p.Identifier, SDSUserSystem)
	role, _ := identifierValue(p.Identifier, SDSRoleSystem)
	if !okUser || sds == "" {
		return bad("requesting_practitioner must carry an SDS user id (%s, UNK without a smartcard)", SDSUserSystem)
	}
	if len(p.Name) == 0 || p.Name[0].family() == "" {
		return bad("requesting_practitioner must have a name with a family name")
	}
	n := p.Name[0]
	name := strings.TrimSpace(strings.Join(append(append(slices.Clone(n.Prefix), n.Given...), n.family()), " "))
	return &Consumerinfo{Organization: ods, OrganizationName: o.Name, UserID: p.ID, UserName: name,
		SDSUserID: sds, SDSRoleProfileID: role, Reason: c.ReasonForRequest}, nil
}

// Consumerinfo is what the claims say of the requester.
type Consumerinfo struct {
	Organization, OrganizationName string
	UserID, UserName               string
	SDSUserID, SDSRoleProfileID    string
	Reason                         string
}
