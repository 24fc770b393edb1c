package xftp

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/simplexgo/protocol/xftp"
)

// ParseDescription reads a file description given as its YAML text or as a
// file link (simplex:/file#/?desc=… or https://host/file#/?desc=…, see
// xftp.FileDescriptionURI) and validates it [FCM getInputFileDescription,
// simplified: the xftp-web "https://host/#<fragment>" form is not read].
func ParseDescription(text []byte) (xftp.FileDescription, error) {
	s := strings.TrimSpace(string(text))
	if strings.HasPrefix(s, "simplex:") || strings.HasPrefix(s, "https://") {
		u, err := xftp.ParseFileDescriptionURI(s)
		if err != nil {
			return xftp.FileDescription{}, fmt.Errorf("%w: %w", ErrDescription, err)
		}
		return u.Description, nil
	}
	if len(text) > xftp.MaxDescriptionSize {
		return xftp.FileDescription{}, fmt.Errorf("%w: larger than %d bytes", ErrDescription, xftp.MaxDescriptionSize)
	}
	fd, err := xftp.ParseFileDescription(text)
	if err != nil {
		return fd, fmt.Errorf("%w: %w", ErrDescription, err)
	}
	if err := fd.Validate(); err != nil {
		return fd, fmt.Errorf("%w: %w", ErrDescription, err)
	}
	return fd, nil
}

// SaveDescriptions writes the descriptions of a sent file as the reference
// CLI does [FCM writeFileDescriptions]: a new directory
// <outDir>/<fileName>.xftp (made unique) holding rcv1.xftp … rcvN.xftp and
// snd.xftp.private, all readable by the owner only. It returns the paths.
func SaveDescriptions(outDir, fileName string, res *SendResult) (rcvPaths []string, sndPath string, err error) {
	dir := uniquePath(outDir, SafeFileName(fileName)+".xftp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("xftp: %w", err)
	}
	write := func(name string, fd xftp.FileDescription) (string, error) {
		y, err := fd.Encode()
		if err != nil {
			return "", fmt.Errorf("xftp: %s: %w", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
			return "", fmt.Errorf("xftp: %w", err)
		}
		return p, nil
	}
	for i, fd := range res.Recipients {
		p, err := write("rcv"+strconv.Itoa(i+1)+".xftp", fd)
		if err != nil {
			return nil, "", err
		}
		rcvPaths = append(rcvPaths, p)
	}
	if sndPath, err = write("snd.xftp.private", res.Sender); err != nil {
		return nil, "", err
	}
	return rcvPaths, sndPath, nil
}
