package xftp

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/simplexgo/protocol/address"
	"github.com/simplexgo/protocol/crypto"
)

// Errors of file descriptions.
var (
	ErrDescription = errors.New("xftp: bad file description")
	ErrInvalid     = errors.New("xftp: invalid file description")
)

// Party is whose file description it is [FP FileParty].
type Party string

// Parties, as written in descriptions.
const (
	PartyRecipient Party = "recipient"
	PartySender    Party = "sender"
)

// FileDescription says where a file's encrypted chunks are and how to
// decrypt it [FD FileDescription]. Size and Digest (SHA-512) are those of
// the encrypted file; Key and Nonce decrypt it; ChunkSize is the default
// chunk size (chunks of another size record theirs).
type FileDescription struct {
	Party     Party
	Size      int64
	Digest    []byte
	Key       [32]byte
	Nonce     [24]byte
	ChunkSize uint32
	Chunks    []FileChunk
	Redirect  *RedirectFileInfo
}

// FileChunk is one chunk with its replicas, each on an XFTP server.
type FileChunk struct {
	ChunkNo   int
	ChunkSize uint32
	Digest    []byte // SHA-256 of the chunk
	Replicas  []FileChunkReplica
}

// FileChunkReplica is a copy of a chunk on a server: the replica (file) ID
// and the private key that authorizes commands for it.
type FileChunkReplica struct {
	Server     address.ServerAddress
	ReplicaID  []byte
	ReplicaKey crypto.PrivateKey // Ed25519, Ed448 or X25519
}

// RedirectFileInfo is present when the described file is itself a
// description of the real file: its size and digest [FD RedirectFileInfo].
type RedirectFileInfo struct {
	Size   int64
	Digest []byte
}

// Validate checks that chunks are numbered 1..n in order and that their
// sizes add up to the file size [FD validateFileDescription].
func (fd FileDescription) Validate() error {
	var total int64
	for i, c := range fd.Chunks {
		if c.ChunkNo != i+1 {
			return fmt.Errorf("%w: chunk numbers are not sequential", ErrInvalid)
		}
		total += int64(c.ChunkSize)
	}
	if total != fd.Size {
		return fmt.Errorf("%w: chunks total size is different than file size", ErrInvalid)
	}
	return nil
}

// serverReplica is one chunk line of a server's list [FD FileServerReplica].
type serverReplica struct {
	chunkNo   int
	server    address.ServerAddress
	replicaID []byte
	key       crypto.PrivateKey
	digest    []byte // only on a chunk's first replica
	chunkSize *uint32
}

// line renders "<no>:<replicaId>:<key>[:<digest>[:<size>]]"
// [FD encodeServerReplica]. (A size without a digest cannot occur: both
// are written on a chunk's first replica.)
func (r serverReplica) line() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(r.chunkNo))
	b.WriteByte(':')
	b.WriteString(address.B64(r.replicaID))
	b.WriteByte(':')
	b.WriteString(address.B64(r.key.DER()))
	if r.digest != nil {
		b.WriteByte(':')
		b.WriteString(address.B64(r.digest))
	}
	if r.chunkSize != nil {
		b.WriteByte(':')
		b.WriteString(FormatFileSize(int64(*r.chunkSize)))
	}
	return b.String()
}

// parseReplicaLine parses a chunk line [FD serverReplicaP].
func parseReplicaLine(s string, server address.ServerAddress) (serverReplica, error) {
	r := serverReplica{server: server}
	bad := func(what string) (serverReplica, error) {
		return serverReplica{}, fmt.Errorf("%w: chunk %q: %s", ErrDescription, s, what)
	}
	no, rest, ok := strings.Cut(s, ":")
	if !ok || no == "" || strings.Trim(no, "0123456789") != "" {
		return bad("chunk number")
	}
	n, err := strconv.ParseUint(no, 10, 31)
	if err != nil {
		return bad("chunk number")
	}
	r.chunkNo = int(n)
	if r.replicaID, rest, err = address.ParseB64Prefix(rest); err != nil {
		return bad("replica ID")
	}
	if rest, ok = strings.CutPrefix(rest, ":"); !ok {
		return bad("expected ':' after replica ID")
	}
	der, rest, err := address.ParseB64Prefix(rest)
	if err != nil {
		return bad("replica key")
	}
	if r.key, err = crypto.ParsePrivateKeyDER(der); err != nil || checkAlg(r.key.Alg, authAlgs) != nil {
		return bad("replica key")
	}
	// optional ':' digest, then optional ':' size; each alternative backtracks
	if after, ok := strings.CutPrefix(rest, ":"); ok {
		if d, rest2, err := address.ParseB64Prefix(after); err == nil {
			r.digest, rest = d, rest2
		}
	}
	if after, ok := strings.CutPrefix(rest, ":"); ok {
		v, err := ParseFileSize(after, math.MaxUint32)
		if err != nil {
			return bad("chunk size")
		}
		sz := uint32(v)
		r.chunkSize, rest = &sz, ""
	}
	if rest != "" {
		return bad("trailing text")
	}
	return r, nil
}

// replicaGroup is the chunk lines of one server.
type replicaGroup struct {
	server address.ServerAddress
	lines  []string
}

// groupReplicas lists the chunks' replicas (a chunk's first replica
// carries its digest, and its size when it differs from the default),
// grouped by server in the reference's server order, keeping the order
// within a group [FD unfoldChunksToReplicas, groupReplicasByServer].
func (fd FileDescription) groupReplicas() []replicaGroup {
	var all []serverReplica
	for _, c := range fd.Chunks {
		for i, rp := range c.Replicas {
			r := serverReplica{chunkNo: c.ChunkNo, server: rp.Server, replicaID: rp.ReplicaID, key: rp.ReplicaKey}
			if i == 0 {
				r.digest = c.Digest
				if r.digest == nil {
					r.digest = []byte{}
				}
				if c.ChunkSize != fd.ChunkSize {
					sz := c.ChunkSize
					r.chunkSize = &sz
				}
			}
			all = append(all, r)
		}
	}
	slices.SortStableFunc(all, func(a, b serverReplica) int { return address.CompareServers(a.server, b.server) })
	var groups []replicaGroup
	for _, r := range all {
		if n := len(groups); n == 0 || address.CompareServers(groups[n-1].server, r.server) != 0 {
			groups = append(groups, replicaGroup{server: r.server})
		}
		g := &groups[len(groups)-1]
		g.lines = append(g.lines, r.line())
	}
	return groups
}

// foldReplicas rebuilds chunks from chunk lines [FD foldReplicasToChunks]:
// a chunk's size and digest come from the lines that carry them (they must
// agree), replicas keep their order, chunks are sorted by number.
func foldReplicas(defSize uint32, rs []serverReplica) ([]FileChunk, error) {
	sizes := map[int]uint32{}
	digests := map[int][]byte{}
	for _, r := range rs {
		if r.chunkSize != nil {
			if s, ok := sizes[r.chunkNo]; ok && s != *r.chunkSize {
				return nil, fmt.Errorf("%w: different size or digest in chunk replicas", ErrDescription)
			}
			sizes[r.chunkNo] = *r.chunkSize
		}
		if r.digest != nil {
			if d, ok := digests[r.chunkNo]; ok && !bytes.Equal(d, r.digest) {
				return nil, fmt.Errorf("%w: different size or digest in chunk replicas", ErrDescription)
			}
			digests[r.chunkNo] = r.digest
		}
	}
	index := map[int]int{}
	var chunks []FileChunk
	for _, r := range rs {
		rp := FileChunkReplica{Server: r.server, ReplicaID: r.replicaID, ReplicaKey: r.key}
		if i, ok := index[r.chunkNo]; ok {
			chunks[i].Replicas = append(chunks[i].Replicas, rp)
			continue
		}
		d, ok := digests[r.chunkNo]
		if !ok {
			return nil, fmt.Errorf("%w: no digest for chunk", ErrDescription)
		}
		sz, ok := sizes[r.chunkNo]
		if !ok {
			sz = defSize
		}
		index[r.chunkNo] = len(chunks)
		chunks = append(chunks, FileChunk{ChunkNo: r.chunkNo, ChunkSize: sz, Digest: d, Replicas: []FileChunkReplica{rp}})
	}
	slices.SortFunc(chunks, func(a, b FileChunk) int { return a.ChunkNo - b.ChunkNo })
	return chunks, nil
}
