package xftp

import (
	"fmt"
	"strings"

	"github.com/simplexgo/protocol/address"
)

// FileDescriptionURI is a link to a file: a recipient description carried
// in the link itself [FD FileDescriptionURI]:
//
//	simplex:/file#/?desc=<escaped YAML>[&data=<escaped JSON>]
//
// (or with https://<host> in place of simplex:).
type FileDescriptionURI struct {
	Scheme      address.ServiceScheme
	Description FileDescription // a valid recipient description
	ClientData  *string         // optional JSON extensions
}

// String returns the link text. It fails if the description cannot be
// encoded.
func (u FileDescriptionURI) String() (string, error) {
	desc, err := u.Description.Encode()
	if err != nil {
		return "", err
	}
	q := address.Query{{Name: "desc", Value: desc}}
	if u.ClientData != nil {
		q = append(q, address.Param{Name: "data", Value: *u.ClientData})
	}
	return u.Scheme.String() + "/file#/?" + q.Encode(), nil
}

// ParseFileDescriptionURI parses a file link; the description must be a
// valid recipient description [FD StrEncoding FileDescriptionURI].
func ParseFileDescriptionURI(s string) (FileDescriptionURI, error) {
	var u FileDescriptionURI
	sch, rest, err := address.ParseServiceSchemePrefix(s)
	if err != nil {
		return u, fmt.Errorf("%w: %w", ErrDescription, err)
	}
	u.Scheme = sch
	rest, ok := strings.CutPrefix(rest, "/file")
	if !ok {
		return u, fmt.Errorf("%w: expected /file", ErrDescription)
	}
	rest = strings.TrimPrefix(rest, "/")
	if rest, ok = strings.CutPrefix(rest, "#/?"); !ok {
		return u, fmt.Errorf("%w: expected \"#/?\"", ErrDescription)
	}
	if i := strings.IndexAny(rest, " \n"); i >= 0 {
		return u, fmt.Errorf("%w: space in link", ErrDescription)
	}
	q := address.ParseQuery(rest)
	desc, ok := q.Get("desc")
	if !ok {
		return u, fmt.Errorf("%w: no qs param desc", ErrDescription)
	}
	if u.Description, err = ParseFileDescription([]byte(desc)); err != nil {
		return u, err
	}
	if err := u.Description.Validate(); err != nil {
		return u, err
	}
	if u.Description.Party != PartyRecipient {
		return u, fmt.Errorf("%w: not a recipient description", ErrDescription)
	}
	if d, ok := q.Get("data"); ok {
		d = address.SafeUTF8(d)
		u.ClientData = &d
	}
	return u, nil
}
