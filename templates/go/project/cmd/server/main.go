// Command server runs the HTTP API and the job worker; see run for its subcommands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Stop signals stay caught for the life of the process (on a channel nobody reads): a
	// late duplicate (`make`'s process group and the process that started this one may both
	// send one) arriving after run has stopped listening must not kill a process that is
	// exiting cleanly, turning its exit 0 into death by signal.
	signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGTERM)
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
