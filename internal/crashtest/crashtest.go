// Package crashtest kills a child process at a chosen point, for tests
// that a state machine or a store recovers from a crash there.
package crashtest

import (
	"bufio"
	"bytes"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// KillAt starts cmd (typically the test binary again, in a helper mode),
// waits until it prints marker as a line of its standard output, and
// kills it with SIGKILL there, so no deferred cleanup runs. The test fails
// if the child ends before the marker or has not reached it within two
// minutes.
func KillAt(t testing.TB, cmd *exec.Cmd, marker string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reached := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == marker {
				reached <- true
				return
			}
		}
		reached <- false
	}()
	// A bound so a broken child fails the test instead of hanging it.
	select {
	case ok := <-reached:
		if !ok {
			cmd.Wait()
			t.Fatalf("child ended before the crash point: %s", stderr.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child never reached the crash point: %s", stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exitErr) || exitErr.Exited() {
		t.Fatalf("child was not killed: %v", err)
	}
}
