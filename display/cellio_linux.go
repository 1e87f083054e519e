package display

import (
	"os"
	"syscall"
	"unsafe"
)

// redirectStdin makes null file descriptor 0 too, so that programs the
// cell starts and direct reads of fd 0 see the same empty input.
func redirectStdin(null *os.File) *os.File {
	if err := syscall.Dup3(int(null.Fd()), 0, 0); err != nil {
		return null
	}
	_ = null.Close()
	return os.NewFile(0, os.DevNull)
}

// pipeUnread is how many bytes wait in the pipe f writes to (FIONREAD);
// ok is false when f is not a pipe or the system does not say.
func pipeUnread(f *os.File) (unread int, ok bool) {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return 0, false
	}
	const fionread = 0x541B
	var n int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), fionread, uintptr(unsafe.Pointer(&n))); errno != 0 {
		return 0, false
	}
	return int(n), true
}
