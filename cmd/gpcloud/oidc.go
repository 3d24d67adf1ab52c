package main

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/gpcloud/gpcloud/internal/identity"
)

// oidcFlags configure sign-in with an external OpenID Connect provider.
type oidcFlags struct {
	issuer, clientID, keyFile, keyID, name, scopes, patientClaim, patientSystem, userClaim *string
}

func registerOIDC(fs *flag.FlagSet) oidcFlags {
	env := os.Getenv
	return oidcFlags{
		issuer:        fs.String("oidc-issuer", env("GPCLOUD_OIDC_ISSUER"), "OpenID Connect provider for sign-in, e.g. NHS login or CIS2 (env GPCLOUD_OIDC_ISSUER; off when empty)"),
		clientID:      fs.String("oidc-client-id", env("GPCLOUD_OIDC_CLIENT_ID"), "gpcloud's client id at the provider (env GPCLOUD_OIDC_CLIENT_ID)"),
		keyFile:       fs.String("oidc-key", env("GPCLOUD_OIDC_KEY"), "PEM private key (RSA or EC) that signs gpcloud's private_key_jwt assertions (env GPCLOUD_OIDC_KEY)"),
		keyID:         fs.String("oidc-key-id", env("GPCLOUD_OIDC_KEY_ID"), "the key's id at the provider (env GPCLOUD_OIDC_KEY_ID)"),
		name:          fs.String("oidc-name", envOr("GPCLOUD_OIDC_NAME", "NHS login"), "provider name on the sign-in page (env GPCLOUD_OIDC_NAME)"),
		scopes:        fs.String("oidc-scopes", envOr("GPCLOUD_OIDC_SCOPES", "profile email"), "scopes besides openid (env GPCLOUD_OIDC_SCOPES)"),
		patientClaim:  fs.String("oidc-patient-claim", envOr("GPCLOUD_OIDC_PATIENT_CLAIM", "nhs_number"), "claim holding the identifier of the user's Patient record (env GPCLOUD_OIDC_PATIENT_CLAIM; empty: none)"),
		patientSystem: fs.String("oidc-patient-system", envOr("GPCLOUD_OIDC_PATIENT_SYSTEM", identity.NHSNumberSystem), "identifier system of that claim (env GPCLOUD_OIDC_PATIENT_SYSTEM)"),
		userClaim:     fs.String("oidc-user-claim", env("GPCLOUD_OIDC_USER_CLAIM"), "claim equal to an existing gpcloud username, e.g. email for staff (env GPCLOUD_OIDC_USER_CLAIM)"),
	}
}

// external builds the provider configuration, nil when none is set.
func (f oidcFlags) external() (*identity.External, error) {
	if *f.issuer == "" {
		return nil, nil
	}
	if *f.clientID == "" || *f.keyFile == "" {
		return nil, errors.New("--oidc-issuer needs --oidc-client-id and --oidc-key")
	}
	key, err := readPrivateKey(*f.keyFile)
	if err != nil {
		return nil, err
	}
	return &identity.External{Name: *f.name, Issuer: *f.issuer, ClientID: *f.clientID, Key: key, KeyID: *f.keyID,
		Scopes: strings.Fields(*f.scopes), PatientClaim: *f.patientClaim, PatientSystem: *f.patientSystem, UserClaim: *f.userClaim}, nil
}

func readPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", path)
	}
	return signer, nil
}
