// Alerts of the host (container_id=""): what the node's own daemons do all day (the trusted host actor classes,
// config-host.libsonnet) is quiet, the same from an interactive login or outside every known unit alerts.
local a = import '../lib/alert.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local r = $._records,
    local where = 'on host {{ $labels.instance }} by host actor {{ $labels.container }}',
    local times = '{{ $value | printf "%.0f" }} time(s) in the last ' + c.eventWindow,
    // The actors trusted for alert name.
    local trusted(name) = std.get(c.hostAlertTrustedActors, name, c.hostTrustedActors),
    // Host series of record with matchers, from the actors not trusted for alert name.
    local untrusted(name, record, matchers) =
      '%s{%s}\n' % [record, u.matchers(['container_id=""', matchers, u.notIn('container', trusted(name))])],
    // Ops counted besides a modification's own op (files.bpf.c), which other alerts report.
    local extraOps = ['traversal', 'exec_mode', 'hidden'],
    local mod(name, classes, summary, what) =
      a.new(c,
            name,
            untrusted(name, r.fileModIncrease, u.matchers(['path_class=~"%s"' % u.anyOf(classes), u.notIn('op', extraOps)])),
            summary,
            '%s: {{ $labels.op }} of a file in class {{ $labels.path_class }}, %s %s.' % [what, times, where]),
    local reason(name, reasons, summary, what) =
      a.new(c,
            name,
            untrusted(name, r.suspiciousIncrease, 'reason=~"%s"' % u.anyOf(reasons)),
            summary,
            '%s (reason {{ $labels.reason }}) %s %s.' % [what, times, where]),
    local syscall(name, names, summary, what) =
      a.new(c,
            name,
            untrusted(name, r.syscallIncrease, 'syscall=~"%s"' % u.anyOf(names)),
            summary,
            '%s: syscall {{ $labels.syscall }} (result {{ $labels.result }}) %s %s.' % [what, times, where]),
    // Sensitive read classes the host is allowed by the generic rule (fileReadHostAllowedClasses): the host rule
    // reports them from untrusted actors (the other classes alert on the host from any actor).
    local hostReads = [cl for cl in c.fileReadHostAllowedClasses if std.member(c.fileSensitiveReadClasses, cl)],
    groups+: [
      {
        name: 'rtsec-host',
        rules: [
          mod('RtsecHostWriteBelowEtc',
              ['etc'],
              'A file below /etc was modified on the host outside the node daemons.',
              'Host configuration modified (systemd units below /etc/systemd included)'),
          mod('RtsecHostWriteBelowBinaryDir',
              ['bin_dirs', 'lib_dirs'],
              'A binary or library directory was modified on the host outside the package manager.',
              'Host binaries or libraries modified (systemd units below /lib/systemd included)'),
          mod('RtsecHostWriteBelowRoot',
              ['root_home'],
              "Root's home directory was modified on the host outside the node daemons.",
              "Root's home modified"),
          mod('RtsecHostPackageDatabaseModified',
              ['package_db'],
              'The package database was modified on the host outside the package manager.',
              'Package database modified (a package installed by hand)'),
          a.new(c,
                'RtsecHostSensitiveFileRead',
                untrusted('RtsecHostSensitiveFileRead', r.fileReadIncrease, 'file_class=~"%s"' % u.anyOf(hostReads)),
                'A credential file was read on the host outside the node daemons.',
                'Sensitive file of class {{ $labels.file_class }} read %s %s.' % [times, where]),
          reason('RtsecHostFilelessExecution',
                 ['memfd', 'deleted_binary'],
                 'A program was executed from memory or from a deleted file on the host.',
                 'A program backed by a memfd or by a deleted executable was executed'),
          reason('RtsecHostReverseShell',
                 ['stdio_socket'],
                 'A program was started with its standard input or output on a socket on the host.',
                 'A program with stdin, stdout or stderr on a TCP/UDP socket (reverse shell) was executed'),
          syscall('RtsecHostProcessInjection',
                  ['ptrace', 'process_vm_writev'],
                  'A process traced or wrote another process on the host.',
                  'Process injection or tracing'),
          syscall('RtsecHostBPFProgramLoad',
                  ['bpf'],
                  'A BPF program load was attempted on the host outside the node daemons.',
                  'BPF program load (rootkits and sniffers hook the kernel so)'),
          a.new(c,
                'RtsecHostInteractiveLogin',
                '%s{container_id="", container=~"%s"}\n' % [r.hostExecIncrease, u.anyOf(c.hostLoginActors)],
                'Someone is working in an interactive session on the host.',
                '{{ $value | printf "%%.0f" }} program(s) executed in the last %s %s: an interactive login (SSH, console) is active.' % [c.eventWindow, where]),
        ],
      },
    ],
  },
}
