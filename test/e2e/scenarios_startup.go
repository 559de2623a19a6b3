package e2e

import (
	"os"
	"path/filepath"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtsec/rtsec/test/containerd"
	"github.com/rtsec/rtsec/test/rootfs"
)

// The benign startup suite: realistic entrypoints of Kubernetes workloads,
// run as pods through containerd's CRI so that they have namespace, pod and
// container names and so workloads (the pod name without its ReplicaSet
// hash and suffix, or StatefulSet ordinal: workloadPodRegex). Each workload
// starts a first replica, which has no history, and later a second replica
// of the same workload, whose startup is what the first one did. The first
// replicas write their config below /etc, create their user, chown their
// data; that is quiet. Installing packages at startup may warn in a first
// replica, never be critical; every second replica must be quiet.

// firstStarts holds when each workload's first replica started (by
// namespace and first pod name).
var firstStarts = struct {
	sync.Mutex
	at map[string]time.Time
}{at: map[string]time.Time{}}

// replicaDelay is how long after its setup a second replica starts: two
// startup windows after the first replica (which starts at Timing.MinAge),
// so the first one's startup is then the workload's profile.
var replicaDelay = DefaultTiming.MinAge + 2*duration(StartupGrace)

// critical forbids what a benign first replica must never raise.
var critical = []Match{Named("", "severity", "critical")}

// webEntrypoint is an nginx-like docker-entrypoint.sh: config files below
// /etc, its group and user created with addgroup and adduser (writes to
// /etc/group and /etc/passwd by user-management binaries, as images that
// create their user at start do), its cache and log directories chowned,
// then the server (a sleep).
const webEntrypoint = `set -e
mkdir -p /etc/nginx/conf.d /var/cache/nginx /var/log/nginx
printf 'worker_processes auto;\nevents { worker_connections 1024; }\nhttp { include /etc/nginx/conf.d/*.conf; }\n' > /etc/nginx/nginx.conf
printf 'server {\n  listen 8080;\n  root /usr/share/nginx/html;\n}\n' > /etc/nginx/conf.d/default.conf
if ! grep -q '^nginx:' /etc/passwd; then
  /usr/sbin/addgroup -S -g 101 nginx
  /usr/sbin/adduser -S -D -H -u 101 -h /var/cache/nginx -s /sbin/nologin -G nginx -g nginx nginx
fi
chown -R 101:101 /var/cache/nginx /var/log/nginx
exec /bin/sleep 1000000`

// dbEntrypoint is a postgres-like entrypoint: its user (addgroup,
// adduser), an initdb-like
// data directory, the config below /etc/postgresql, chown -R of the data
// and a drop to the user (su, as gosu does) for the server (a sleep).
const dbEntrypoint = `set -e
if ! grep -q '^postgres:' /etc/passwd; then
  /usr/sbin/addgroup -S -g 999 postgres
  /usr/sbin/adduser -S -D -H -u 999 -h /var/lib/postgresql -s /bin/sh -G postgres postgres
fi
mkdir -p /var/lib/postgresql/data/base/1 /var/lib/postgresql/data/global /var/run/postgresql /etc/postgresql
if [ ! -s /var/lib/postgresql/data/PG_VERSION ]; then
  echo 16 > /var/lib/postgresql/data/PG_VERSION
  echo 'pg_control' > /var/lib/postgresql/data/global/pg_control
  echo 'heap' > /var/lib/postgresql/data/base/1/1259
fi
printf "listen_addresses = '*'\nmax_connections = 100\n" > /etc/postgresql/postgresql.conf
echo 'host all all all scram-sha-256' > /etc/postgresql/pg_hba.conf
chown -R 999:999 /var/lib/postgresql /var/run/postgresql
chmod 700 /var/lib/postgresql/data
exec /bin/su -s /bin/sh postgres -c 'exec /bin/sleep 1000000'`

// toolsEntrypoint installs a package at every start, as images that run
// `apk add` in their entrypoint do: the package manager (in the image,
// here a bind mount) runs, the package's binary lands in /usr/bin, the
// package database and /etc/apk/world are updated, and the tool runs.
const toolsEntrypoint = `set -e
/sbin/apk add --no-cache jq 2>/dev/null || true
mkdir -p /lib/apk/db /etc/apk
cp /bin/busybox /usr/bin/jq.apk-new && mv /usr/bin/jq.apk-new /usr/bin/jq
printf 'P:jq\nV:1.7.1-r0\nF:usr/bin\nR:jq\n' >> /lib/apk/db/installed
echo jq >> /etc/apk/world
/usr/bin/jq --version 2>/dev/null || true
exec /bin/sleep 1000000`

// Pods of the suite: namespace, first and second replica, container.
var (
	webPods   = [3]string{"shop", "web-7d9c8b5f4-x2x9k", "web-7d9c8b5f4-q8t2n"}
	dbPods    = [3]string{"db", "pg-0", "pg-1"}
	toolsPods = [3]string{"ops", "tools-6b7d9f4c8-m4n7p", "tools-6b7d9f4c8-z5wtv"}
)

func init() {
	Scenarios = append(Scenarios, startupScenarios...)
}

var startupScenarios = []Scenario{
	{
		Name: "startup-web-first",
		Description: "First replica of an nginx-like Deployment (shop/web): its entrypoint script writes its config below /etc/nginx, " +
			"creates its group and user (addgroup, adduser), chowns its cache and log directories and serves.",
		Benign: true, Startup: true, CRI: true,
		Action: func(e *Env) { e.startupPod(webPods, 1, "nginx", webEntrypoint) },
		Forbid: critical,
	},
	{
		Name:        "startup-web-replica",
		Description: "Second replica of shop/web, started after the first one: the same startup, which the workload has done before.",
		Benign:      true, Startup: true, CRI: true,
		Age:    replicaDelay,
		Action: func(e *Env) { e.startupPod(webPods, 2, "nginx", webEntrypoint) },
		Forbid: anyAlert,
	},
	{
		Name: "startup-db-first",
		Description: "First replica of a postgres-like StatefulSet (db/pg): its entrypoint adds its user, initialises its data directory, " +
			"writes its config below /etc/postgresql, chowns the data and drops to its user (su) to serve.",
		Benign: true, Startup: true, CRI: true,
		Action: func(e *Env) { e.startupPod(dbPods, 1, "postgres", dbEntrypoint) },
		Forbid: critical,
	},
	{
		Name:        "startup-db-replica",
		Description: "Second replica of db/pg (pg-1), started after the first one: the same startup.",
		Benign:      true, Startup: true, CRI: true,
		Age:    replicaDelay,
		Action: func(e *Env) { e.startupPod(dbPods, 2, "postgres", dbEntrypoint) },
		Forbid: anyAlert,
	},
	{
		Name: "startup-tools-first",
		Description: "First replica of a Deployment (ops/tools) whose entrypoint installs a package at every start (apk add jq: " +
			"the package manager, a binary in /usr/bin, the package database, /etc/apk) and runs it: a warning is right, a critical alert is not.",
		Benign: true, Startup: true, CRI: true,
		Action: func(e *Env) { e.startupPod(toolsPods, 1, "tools", toolsEntrypoint) },
		Forbid: critical,
	},
	{
		Name:        "startup-tools-replica",
		Description: "Second replica of ops/tools, started after the first one: the same package install, which the workload has done before.",
		Benign:      true, Startup: true, CRI: true,
		Age:    replicaDelay,
		Action: func(e *Env) { e.startupPod(toolsPods, 2, "tools", toolsEntrypoint) },
		Forbid: anyAlert,
	},
}

// startupSettle is how long a startup scenario's action lasts after its
// pod started: its entrypoint script is done by then.
const startupSettle = 3 * time.Second

// startupPod runs replica 1 or 2 of pods (namespace, first pod, second pod)
// with container running script as its entrypoint (sh -c): the image's
// busybox plus the tools busybox-static lacks (imageTools).
func (e *Env) startupPod(pods [3]string, replica int, container, script string) {
	e.T.Helper()
	// Late actions run one after another, so a queue of them can bring a
	// second replica right behind its first: it waits until the first one's
	// startup is two windows old, and so the workload's profile. The first
	// one's start is when its pod runs: the sandbox can take seconds before.
	key := pods[0] + "/" + pods[1]
	firstStarts.Lock()
	first, ok := firstStarts.at[key]
	firstStarts.Unlock()
	if replica > 1 && ok {
		time.Sleep(time.Until(first.Add(2 * duration(StartupGrace))))
	}
	e.RunPod(containerd.PodOptions{Mounts: e.imageTools()}, pods[0], pods[replica], container, "/bin/sh", "-c", script)
	if replica == 1 {
		firstStarts.Lock()
		firstStarts.at[key] = time.Now()
		firstStarts.Unlock()
	}
	time.Sleep(startupSettle)
}

// adduserScript and addgroupScript stand in for busybox's adduser and
// addgroup (Debian's busybox-static has neither): they append the user or
// group with shell builtins only, so the writes to /etc/passwd and
// /etc/group are made by the user-management binary's process, as with the
// real ones.
const (
	adduserScript = `#!/bin/sh
uid=1000 group= home=/home shell=/bin/sh
while [ $# -gt 1 ]; do
  case "$1" in
  -u) uid=$2; shift ;;
  -G) group=$2; shift ;;
  -h) home=$2; shift ;;
  -s) shell=$2; shift ;;
  -g) shift ;;
  esac
  shift
done
gid=$uid
while IFS=: read -r name _ id _; do [ "$name" = "$group" ] && gid=$id; done < /etc/group
echo "$1:x:$uid:$gid:$1:$home:$shell" >> /etc/passwd
`
	addgroupScript = `#!/bin/sh
gid=1000
while [ $# -gt 1 ]; do
  case "$1" in
  -g) gid=$2; shift ;;
  esac
  shift
done
echo "$1:x:$gid:" >> /etc/group
`
)

// imageTools are read-only mounts of what the suite's entrypoints call
// beyond busybox-static: /sbin/apk (busybox, which has no apk applet: the
// exec is what counts), /usr/sbin/adduser and /usr/sbin/addgroup.
func (e *Env) imageTools() []*runtimeapi.Mount {
	e.T.Helper()
	busybox, err := os.ReadFile(rootfs.BusyboxPath)
	if err != nil {
		e.T.Fatalf("image tools: %v", err)
	}
	dir := e.T.TempDir()
	var mounts []*runtimeapi.Mount
	for path, data := range map[string][]byte{
		"/sbin/apk":          busybox,
		"/usr/sbin/adduser":  []byte(adduserScript),
		"/usr/sbin/addgroup": []byte(addgroupScript),
	} {
		host := filepath.Join(dir, filepath.Base(path))
		if err := os.WriteFile(host, data, 0o755); err != nil {
			e.T.Fatalf("image tools: %v", err)
		}
		mounts = append(mounts, &runtimeapi.Mount{ContainerPath: path, HostPath: host, Readonly: true})
	}
	return mounts
}
