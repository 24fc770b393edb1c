package xftp

import (
	"bufio"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
	"github.com/simplexgo/protocol/encoding"
)

// The encrypted file [FCR encryptFile, FCM encryptFileForUpload]:
//
//	plaintext = int64(len(header) + fileSize) header file '#'{padLen}
//	header    = short(fileName) maybe(short(fileExtra))   ; FileHeader
//	encrypted = XSalsa20(key, nonce) ⊕ plaintext ‖ tag(16)
//
// The secretbox stream uses a random 32-byte key and 24-byte nonce; the
// keystream starts after the 32 bytes used as the Poly1305 key, and the
// tag comes at the end. The encrypted size is the sum of
// PrepareChunkSizes(8 + len(header) + fileSize + 16), so padLen fills the
// last chunk. The file digest is SHA-512 of the encrypted file, each
// chunk's SHA-256 of its bytes.

const (
	fileSizeLen = 8    // int64 length before the header [FD fileSizeLen]
	maxHeader   = 1024 // the reference parses the header from this much [FCR parseFileHeader]
	padByte     = '#'
)

// FileHeader is the encrypted file's header [FT FileHeader].
type FileHeader struct {
	Name  string
	Extra *string // reserved for extensions; nil in current clients
}

// encode returns short(name) maybe(short(extra)).
func (h FileHeader) encode() ([]byte, error) {
	w := encoding.NewBuffer(nil).Short([]byte(h.Name))
	w.Maybe(h.Extra != nil)
	if h.Extra != nil {
		w.Short([]byte(*h.Extra))
	}
	return w.Bytes()
}

// parseFileHeader parses a header at the start of b and returns it with its
// encoded length; each invalid UTF-8 byte of the text becomes '?' [FT
// FileHeader smpP, Util safeDecodeUtf8], so the text keeps its length.
func parseFileHeader(b []byte) (FileHeader, int, error) {
	d := encoding.NewDecoder(b)
	var h FileHeader
	h.Name = address.SafeUTF8(string(d.Short()))
	if d.Maybe() {
		e := address.SafeUTF8(string(d.Short()))
		h.Extra = &e
	}
	if err := d.Err(); err != nil {
		return h, 0, fmt.Errorf("%w: header: %w", ErrDecrypt, err)
	}
	return h, d.Offset(), nil
}

// truncateName cuts a file name to 255 bytes on a UTF-8 boundary, keeping
// a short extension, so that it fits short().
func truncateName(name string) string {
	const maxLen = 255
	if len(name) <= maxLen {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
		ext, name = name[i:], name[:i]
	}
	name = name[:maxLen-len(ext)]
	for !utf8.ValidString(name) {
		name = name[:len(name)-1]
	}
	return name + ext
}

// ChunkSpec is one chunk of an encrypted file.
type ChunkSpec struct {
	Offset int64
	Size   uint32
	Digest []byte // SHA-256
}

// EncryptedFile describes an encrypted file: what a file description needs
// besides the servers.
type EncryptedFile struct {
	Key    [crypto.KeySize]byte
	Nonce  [crypto.NonceSize]byte
	Size   int64  // sum of the chunk sizes
	Digest []byte // SHA-512 of the encrypted file
	Chunks []ChunkSpec
}

// EncryptFile reads exactly size bytes of src and writes the encrypted file
// to dst with a random key and nonce (see the layout above). The digests
// are computed as it is written.
func EncryptFile(dst io.Writer, src io.Reader, size int64, name string, random io.Reader) (*EncryptedFile, error) {
	if size < 0 {
		return nil, fmt.Errorf("xftp: negative file size")
	}
	var ef EncryptedFile
	if _, err := io.ReadFull(random, ef.Key[:]); err != nil {
		return nil, fmt.Errorf("xftp: random key: %w", err)
	}
	if _, err := io.ReadFull(random, ef.Nonce[:]); err != nil {
		return nil, fmt.Errorf("xftp: random nonce: %w", err)
	}
	hdr, err := FileHeader{Name: truncateName(name)}.encode()
	if err != nil {
		return nil, fmt.Errorf("xftp: file header: %w", err)
	}
	plainLen := int64(len(hdr)) + size
	sizes := PrepareChunkSizes(fileSizeLen + plainLen + crypto.TagSize)
	var off int64
	for _, s := range sizes {
		ef.Chunks = append(ef.Chunks, ChunkSpec{Offset: off, Size: s})
		off += int64(s)
	}
	ef.Size = off
	padLen := ef.Size - crypto.TagSize - fileSizeLen - plainLen

	hw := newChunkHasher(dst, ef.Chunks)
	bw := bufio.NewWriterSize(hw, 64<<10)
	enc := crypto.NewStreamEncryptor(bw, ef.Key, ef.Nonce)
	var lenBuf [fileSizeLen]byte
	binary.BigEndian.PutUint64(lenBuf[:], uint64(plainLen))
	if _, err := enc.Write(append(lenBuf[:], hdr...)); err != nil {
		return nil, fmt.Errorf("xftp: encrypt: %w", err)
	}
	if n, err := io.CopyN(enc, src, size); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("xftp: encrypt: file is shorter (%d bytes) than %d", n, size)
		}
		return nil, fmt.Errorf("xftp: encrypt: %w", err)
	}
	if _, err := io.CopyN(enc, padReader{}, padLen); err != nil {
		return nil, fmt.Errorf("xftp: encrypt: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("xftp: encrypt: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("xftp: encrypt: %w", err)
	}
	if hw.total != ef.Size {
		return nil, fmt.Errorf("xftp: encrypt: wrote %d bytes, expected %d", hw.total, ef.Size)
	}
	ef.Digest = hw.file.Sum(nil)
	return &ef, nil
}

// padReader yields '#' forever [FCR encryptPad].
type padReader struct{}

func (padReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = padByte
	}
	return len(p), nil
}

// chunkHasher passes bytes through and computes the SHA-512 of everything
// and the SHA-256 of each chunk.
type chunkHasher struct {
	w      io.Writer
	chunks []ChunkSpec
	file   hash.Hash
	cur    hash.Hash
	i      int   // current chunk
	left   int64 // bytes left in the current chunk
	total  int64
}

func newChunkHasher(w io.Writer, chunks []ChunkSpec) *chunkHasher {
	h := &chunkHasher{w: w, chunks: chunks, file: sha512.New(), cur: sha256.New()}
	if len(chunks) > 0 {
		h.left = int64(chunks[0].Size)
	}
	return h
}

func (h *chunkHasher) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	b := p[:n]
	h.file.Write(b)
	h.total += int64(n)
	for len(b) > 0 && h.i < len(h.chunks) {
		k := min(int64(len(b)), h.left)
		h.cur.Write(b[:k])
		b = b[k:]
		h.left -= k
		if h.left == 0 {
			h.chunks[h.i].Digest = h.cur.Sum(nil)
			h.cur.Reset()
			h.i++
			if h.i < len(h.chunks) {
				h.left = int64(h.chunks[h.i].Size)
			}
		}
	}
	return n, err
}

// DecryptFile decrypts an encrypted file of encSize bytes read from src
// (the chunks in order) and writes the file's content to the writer that
// open returns for the header's file name [FCR decryptChunks]. Content is
// written before the tag at the end is checked: the caller must discard
// the output when DecryptFile fails. It returns the header.
func DecryptFile(src io.Reader, encSize int64, key [crypto.KeySize]byte, nonce [crypto.NonceSize]byte, open func(h FileHeader) (io.Writer, error)) (FileHeader, error) {
	var h FileHeader
	if encSize < fileSizeLen+crypto.TagSize {
		return h, fmt.Errorf("%w: %d bytes is too short", ErrDecrypt, encSize)
	}
	d := crypto.NewStreamDecryptor(io.LimitReader(src, encSize), key, nonce)
	br := bufio.NewReaderSize(d, 64<<10)
	var lenBuf [fileSizeLen]byte
	if _, err := io.ReadFull(br, lenBuf[:]); err != nil {
		return h, fmt.Errorf("%w: length: %w", ErrDecrypt, err)
	}
	plainLen := int64(binary.BigEndian.Uint64(lenBuf[:]))
	if plainLen < 0 || plainLen > encSize-fileSizeLen-crypto.TagSize {
		return h, fmt.Errorf("%w: bad length %d", ErrDecrypt, plainLen)
	}
	head, err := br.Peek(int(min(plainLen, maxHeader)))
	if err != nil {
		return h, fmt.Errorf("%w: header: %w", ErrDecrypt, err)
	}
	h, n, err := parseFileHeader(head)
	if err != nil {
		return h, err
	}
	if _, err := br.Discard(n); err != nil {
		return h, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	w, err := open(h)
	if err != nil {
		return h, err
	}
	if _, err := io.CopyN(w, br, plainLen-int64(n)); err != nil {
		return h, decryptError(err)
	}
	// The padding is not checked (as in the reference); reading it to the
	// end checks the tag.
	if _, err := io.Copy(io.Discard, br); err != nil {
		return h, decryptError(err)
	}
	if d.Decrypted() != encSize-crypto.TagSize {
		return h, fmt.Errorf("%w: %d bytes decrypted, expected %d", ErrDecrypt, d.Decrypted(), encSize-crypto.TagSize)
	}
	return h, nil
}

// decryptError classifies an error while reading decrypted content.
func decryptError(err error) error {
	if errors.Is(err, crypto.ErrDecrypt) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	return fmt.Errorf("xftp: decrypt: %w", err)
}
