// Package nofile keeps the handler's open-file limit the container's.
//
// Package os of Go 1.19 and 1.20 raises the soft RLIMIT_NOFILE to the hard limit when it initialises
// and never puts it back, and limits survive exec: a handler exec'd by the Go init would run with a
// limit that the container did not give it (the C init changes nothing). This package records the
// limit before that: it imports only syscall, and main imports it first, so it initialises before
// package os. From Go 1.21 package syscall raises the limit itself, before this package can look, and
// restores it for every process it execs; then Restore finds nothing to undo and does nothing.
package nofile

import "syscall"

var (
	atStart syscall.Rlimit
	known   = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &atStart) == nil
)

// Restore puts the open-file limit back to what it was when the process started, if it changed.
func Restore() error {
	var now syscall.Rlimit
	if !known || syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now) != nil || now == atStart {
		return nil
	}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &atStart)
}
