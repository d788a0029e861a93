// The pause workload ("message buffers") as the Go peer of bench/pause_bench.cpp
// (runa_pauses) and bench/peers/PauseRing.java: the same operations, the same sizes
// from the same generator, the same output; PauseRing.java's header has the
// specification. Built by scripts/bench-gc-peers with `go build` (no module, no
// dependencies) and run with GOGC=100 GOMEMLIMIT=1GiB GODEBUG=gctrace=1.
//
//	pause_ring [--seconds=N]      (default 20)
//
// Output: the lines of PauseRing.java, with the window given as GC cycle numbers
// instead of JVM uptime:
//
//	window gc cycles: <completed cycles at the start> <at the end>
//
// The collector's own pause figures come from the gctrace lines on standard error
// (cycles after the first number, up to the second, are the timed phase's).
package main

import (
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

const (
	ringSize      = 200000
	sinkSize      = 256
	holderArrays  = 8
	cyclesMetric  = "/gc/cycles/total:gc-cycles"
	secondsPrefix = "--seconds="
)

type entry struct {
	data []byte
	seq  int64
}

type holder struct {
	parts [holderArrays][]byte
}

var (
	rng  uint64 = 0x9E3779B97F4A7C15
	ring [ringSize]*entry
	sink [sinkSize]*holder
)

func next() uint64 {
	rng ^= rng << 13
	rng ^= rng >> 7
	rng ^= rng << 17
	return rng
}

func operation(i int64) {
	data := make([]byte, 512+int((next()>>32)&1023))
	data[0] = byte(i)
	data[len(data)-1] = byte(i)
	ring[i%ringSize] = &entry{data: data, seq: i}
	h := &holder{}
	for k := 0; k < holderArrays; k++ {
		part := make([]byte, 16+int((next()>>32)&255))
		part[0] = byte(k)
		h.parts[k] = part
	}
	sink[i%sinkSize] = h
}

func ringOK() bool {
	for k, e := range ring {
		if e == nil || e.seq%ringSize != int64(k) || len(e.data) < 512 || len(e.data) > 1535 ||
			e.data[0] != byte(e.seq) || e.data[len(e.data)-1] != byte(e.seq) {
			return false
		}
	}
	return true
}

func cycles() uint64 {
	s := []metrics.Sample{{Name: cyclesMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: pause_ring [--seconds=N]   (N >= 1, default 20)")
}

func main() {
	seconds := int64(20)
	for _, a := range os.Args[1:] {
		if a == "--help" || a == "-h" {
			usage()
			return
		}
		if !strings.HasPrefix(a, secondsPrefix) {
			fmt.Fprintf(os.Stderr, "pause_ring: unknown argument '%s'\n", a)
			usage()
			os.Exit(2)
		}
		v, err := strconv.ParseInt(a[len(secondsPrefix):], 10, 64)
		if err != nil || v < 1 {
			fmt.Fprintf(os.Stderr, "pause_ring: bad --seconds: '%s'\n", a)
			os.Exit(2)
		}
		seconds = v
	}
	var i int64
	for ; i < ringSize; i++ {
		operation(i)
	}
	windowStart := cycles()
	start := time.Now()
	stop := start.Add(time.Duration(seconds) * time.Second)
	last := start
	var maxGap time.Duration
	first := i
	for {
		for k := 0; k < 1024; k++ {
			operation(i)
			i++
		}
		now := time.Now()
		if gap := now.Sub(last); gap > maxGap {
			maxGap = gap
		}
		last = now
		if !now.Before(stop) {
			break
		}
	}
	windowEnd := cycles()
	elapsed := last.Sub(start).Seconds()
	ops := i - first
	fmt.Printf("ops: %d\n", ops)
	fmt.Printf("seconds: %.3f\n", elapsed)
	fmt.Printf("ops/s: %.0f\n", float64(ops)/elapsed)
	fmt.Printf("max gap per 1024 ops ms: %.3f\n", float64(maxGap.Nanoseconds())/1e6)
	fmt.Printf("window gc cycles: %d %d\n", windowStart, windowEnd)
	ok := ringOK()
	if ok {
		fmt.Println("ring check: ok")
	} else {
		fmt.Println("ring check: FAILED")
		os.Exit(1)
	}
}
