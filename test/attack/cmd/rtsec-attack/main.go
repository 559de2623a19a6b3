// Command rtsec-attack performs one attack technique for rtsec's tests:
//
//	rtsec-attack stdio-socket PROG ARGS…  exec PROG with stdio on a TCP socket
//	rtsec-attack memfd PROG ARGS…         exec a memfd copy of PROG
//	rtsec-attack deleted PROG ARGS…       exec a copy of PROG unlinked before the exec
//	rtsec-attack tty-shell SHELL          run SHELL -c true with a controlling terminal
//	rtsec-attack setuid                   (setuid-root, run by a user) drop euid, then regain 0
//	rtsec-attack capset                   drop an effective capability, then raise it
//	rtsec-attack drop PROG ARGS…          clear effective capabilities, settle uids, exec PROG, as services do
//	rtsec-attack syscalls                 call each sensitive syscall once; print "NAME RESULT"
//	rtsec-attack unlinkat DIR NAME        remove NAME relative to an fd of DIR
//	rtsec-attack flood SECONDS            call unshare(CLONE_NEWUTS) in a loop for SECONDS, flooding events
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: rtsec-attack TECHNIQUE [ARGS…]"))
	}
	args := os.Args[2:]
	var err error
	switch os.Args[1] {
	case "stdio-socket":
		err = stdioSocket(args)
	case "memfd":
		err = memfd(args)
	case "deleted":
		err = deleted(args)
	case "tty-shell":
		err = ttyShell(args)
	case "setuid":
		err = setuid()
	case "capset":
		err = capset()
	case "drop":
		err = drop(args)
	case "syscalls":
		err = syscalls()
	case "unlinkat":
		err = unlinkat(args)
	case "flood":
		err = flood(args)
	default:
		err = fmt.Errorf("unknown technique %q", os.Args[1])
	}
	fail(err)
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtsec-attack:", err)
		os.Exit(1)
	}
}
