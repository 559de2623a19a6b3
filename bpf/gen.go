// Package bpf holds rtsec's BPF programs (C, CO-RE) and the Go bindings
// bpf2go generates from them. The generated objects are committed so that
// `go build` needs no clang; `make generate` rebuilds them. The ids the
// programs and the exporter share are the C sources' enums, written to
// package enums with the label values they stand for.
package bpf

//go:generate go run ./internal/genenums -o enums/enums.go src

//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror -mcpu=v3" -target bpfel Process src/process.bpf.c -- -I./src/headers
//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror -mcpu=v3" -target bpfel Cgroups src/cgroups.bpf.c -- -I./src/headers
//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror -mcpu=v3" -target bpfel Network src/network.bpf.c -- -I./src/headers
//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror -mcpu=v3" -target amd64,arm64 Files src/files.bpf.c -- -I./src/headers
//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror -mcpu=v3" -target bpfel Resources src/resources.bpf.c -- -I./src/headers
//go:generate go tool bpf2go -cc clang-14 -cflags "-O2 -g -Wall -Werror -mcpu=v3" -target bpfel -type task_posture Tasks src/tasks.bpf.c -- -I./src/headers
