package torchfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// checkPickle walks the opcodes of the pickle at the start of p without
// executing it, up to its STOP, and checks that every argument — in
// particular every length-prefixed string, byte run and frame — lies
// within p, so that the unpickler never allocates for a length the file
// does not hold.
func checkPickle(p []byte) error {
	// Integers (LONG4, and the text opcodes' numbers and names) are
	// decoded in time quadratic in their length; no torch file has one
	// longer than a few bytes.
	const maxLongBytes = 1024
	fixed := map[byte]int{
		'J': 4, 'K': 1, 'M': 2, 'h': 1, 'j': 4, 'q': 1, 'r': 4, 'G': 8,
		0x80: 1, 0x82: 1, 0x83: 2, 0x84: 4,
	}
	prefixed := map[byte]int{ // opcode → size of its little-endian length
		'U': 1, 'T': 4, 'X': 4, 0x8c: 1, 0x8d: 8, 'B': 4, 'C': 1, 0x8e: 8, 0x96: 8, 0x8a: 1, 0x8b: 4,
		0x95: 8, // FRAME: its length covers the opcodes that follow
	}
	lines := map[byte]int{'I': 1, 'L': 1, 'S': 1, 'V': 1, 'F': 1, 'P': 1, 'g': 1, 'p': 1, 'c': 2, 'i': 2}
	const noArg = "(.012NabdelortsuR)}]Q\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98"
	for i := 0; i < len(p); {
		op := p[i]
		i++
		if n, ok := fixed[op]; ok {
			i += n
		} else if n, ok := prefixed[op]; ok {
			if i+n > len(p) {
				return fmt.Errorf("truncated at byte %d", i)
			}
			var l uint64
			switch n {
			case 1:
				l = uint64(p[i])
			case 4:
				l = uint64(binary.LittleEndian.Uint32(p[i:]))
			case 8:
				l = binary.LittleEndian.Uint64(p[i:])
			}
			if l > uint64(len(p)-i-n) {
				return fmt.Errorf("opcode 0x%02x at byte %d claims %d bytes, past the end", op, i-1, l)
			}
			if op == 0x8b && l > maxLongBytes {
				return fmt.Errorf("a %d-byte integer at byte %d", l, i-1)
			}
			i += n
			if op != 0x95 { // a frame's contents are opcodes: walk them
				i += int(l)
			}
		} else if n, ok := lines[op]; ok {
			for ; n > 0; n-- {
				j := bytes.IndexByte(p[i:], '\n')
				if j < 0 {
					return fmt.Errorf("unterminated argument at byte %d", i)
				}
				if j > maxLongBytes && op != 'S' && op != 'V' {
					return fmt.Errorf("a %d-byte argument of opcode %q at byte %d", j, op, i-1)
				}
				i += j + 1
			}
		} else if bytes.IndexByte([]byte(noArg), op) < 0 {
			return fmt.Errorf("unknown opcode 0x%02x at byte %d", op, i-1)
		}
		if op == '.' {
			return nil
		}
	}
	return errors.New("no STOP opcode")
}
