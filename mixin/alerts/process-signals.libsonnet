// Alerts of the process signals classified in the kernel: suspicious execs
// and binary classes (rtsec-process-suspicious), privilege changes and
// escape syscalls, 32-bit syscalls (rtsec-privilege-escape).
local a = import '../lib/alert.libsonnet';
local startup = import '../lib/startup.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local r = $._records,
    local where = 'in container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }}',
    local whereAny = '{{ if $labels.container_id }}%s{{ else }}on host {{ $labels.instance }}{{ end }}' % where,
    local times = '{{ $value | printf "%.0f" }} time(s) in the last ' + c.eventWindow,
    // Host series of the node's own daemons (config-host.libsonnet), which RtsecHighRiskProcess and
    // RtsecKernelModuleLoadAttempt do not report.
    local hostTrusted = if std.length(c.hostTrustedActors) == 0 then '' else 'unless on (%s)\n%s{container_id="", container=~"%s"}\n' % [c.containerLabels, r.criticalEvents, u.anyOf(c.hostTrustedActors)],
    // An alert on the events of one recorded increase, outside trusted namespaces; inContainer drops the host.
    // Guarded alerts (names: the signal's startup records, lib/startup.libsonnet) are quiet for what a young
    // container did inside its workload's startup profile, and report every other event at once.
    local event(name, record, matchers, summary, what, inContainer=true, names=null, label='', excuse='') =
      local expr = '%s{%s}\n' % [record, u.matchers([if inContainer then 'container_id!=""' else '', matchers, u.notIn('namespace', c.trustedNamespaces)])];
      local guarded = if names == null then expr else startup.guard(c, expr, label, names, excuse);
      a.new(c, name, guarded, summary, '%s %s %s.' % [what, times, if inContainer then where else whereAny]),
    // A package install at startup (a first replica's entrypoint) runs what it just wrote: warnings, not critical.
    local packageInstallAtStartup = 'group by (%s) (last_over_time(%s{class="package_manager"}[%s]))' % [c.containerLabels, r.classStartup.during, u.addDurations(c.containerStartupWindow, c.eventWindow)],
    local reason(name, value, summary, what, guarded=false, excuse='') =
      event(name, r.suspiciousIncrease, 'reason="%s"' % value, summary, what, true, if guarded then r.suspiciousStartup else null, 'reason', excuse),
    local class(name, value, summary, what) = event(name, r.classIncrease, 'class="%s"' % value, summary, what, true, r.classStartup, 'class'),
    local kind(name, value, summary, what, inContainer=true) = event(name, r.privilegeIncrease, 'kind="%s"' % value, summary, what, inContainer),
    // In containers, runc's setup can slip a call in as the container starts (docs/mixin.md): guarded like execs.
    local syscall(name, names, summary, inContainer=true) =
      event(name,
            r.syscallIncrease,
            'syscall=~"%s"' % u.anyOf(names),
            summary,
            'Syscall {{ $labels.syscall }} (result {{ $labels.result }}) was called',
            inContainer,
            if inContainer then r.syscallStartup else null,
            'syscall, result'),
    groups+: [
      {
        name: 'rtsec-process-suspicious',
        rules: [
          reason('RtsecReverseShell',
                 'stdio_socket',
                 'A program was started with its standard input or output on a network socket.',
                 'A program with stdin, stdout or stderr on a TCP/UDP socket (reverse shell) was executed'),
          a.new(c,
                'RtsecNetcatRemoteCodeExecution',
                |||
                  %(suspicious)s{container_id!="", reason="stdio_socket"}
                  and on (%(containerLabels)s)
                  %(class)s{class="network_tool"}
                ||| % (c { suspicious: r.suspiciousIncrease, class: r.classIncrease }),
                'A network tool ran next to a program whose stdio is a socket.',
                'A network tool (nc, ncat, socat…) and a program with socket stdio were executed within %s %s: netcat-style remote code execution.' % [c.eventWindow, where]),
          reason('RtsecTerminalShellInContainer',
                 'tty_shell',
                 'A shell with a terminal was started in a container.',
                 'An interactive shell with a controlling terminal (kubectl exec -it, docker exec -it) was executed'),
          reason('RtsecFilelessExecution',
                 'memfd',
                 'A program was executed from memory (memfd).',
                 'A program backed by a memfd (fileless malware) was executed'),
          reason('RtsecDeletedBinaryExecuted',
                 'deleted_binary',
                 'A program whose file was deleted was executed.',
                 'A program whose executable had been deleted was executed'),
          reason('RtsecExecFromWritableDir',
                 'writable_dir',
                 'A program under a writable directory was executed in a container.',
                 'A program under /tmp, /dev/shm, /var/tmp, /run or a home directory was executed',
                 true),
          reason('RtsecDropAndExecute',
                 'upper_layer',
                 'A program written after the container started was executed.',
                 "A program from the container's writable layer (dropped or modified after start) was executed",
                 true,
                 packageInstallAtStartup),
          reason('RtsecDynamicLoaderExec',
                 'ld_loader',
                 'A program was run through the dynamic loader.',
                 'The dynamic loader (ld-linux, ld-musl) was executed directly, which runs programs from noexec mounts'),
          class('RtsecCredentialSearch',
                'credential_search',
                'A file search tool ran in a container.',
                'A search tool (find, grep, locate) that can hunt for keys and passwords was executed'),
          class('RtsecLogWiperExecuted',
                'log_wiper',
                'A data or log wiper ran in a container.',
                'A wiper (shred, wipefs, mkfs) was executed'),
          class('RtsecUserManagementInContainer',
                'user_mgmt',
                'A user management tool ran in a container.',
                'A user management tool (useradd, passwd, visudo…) was executed'),
          event('RtsecMinerClassExecuted',
                r.classIncrease,
                'class="miner"',
                'A binary of the miner class was executed.',
                'A cryptocurrency miner of the classes file was executed',
                false),
          // One alert per kind of critical event (signal, event), valued the container's total: a second kind
          // while the first still fires is a new alert, and notifies. The node's own daemons are not a high risk.
          a.new(c,
                'RtsecHighRiskProcess',
                '(%s > %g) + on (%s) group_right () (0 * %s)\n' % [r.criticalEvents, c.highRiskThreshold, c.containerLabels, r.criticalEventKinds]
                + (if u.isZero(c.containerStartupWindow) then '' else 'unless on (%s)\n%s\n' % [c.containerLabels, packageInstallAtStartup])
                + hostTrusted,
                'A container produced many critical process events.',
                '{{ $value | printf "%%.0f" }} critical process events (suspicious execs, privilege gains, escape syscalls, miners) in the last %s %s, among them {{ $labels.signal }} {{ $labels.event }}.' % [c.highRiskWindow, whereAny]),
        ],
      },
      {
        name: 'rtsec-privilege-escape',
        rules: [
          kind('RtsecSetuidToRoot',
               'setuid_root',
               'A non-root task made itself root with a set*id call.',
               'setuid/setreuid/setresuid to root by a non-root task happened',
               false),
          kind('RtsecSetuidExecInContainer',
               'setuid_exec',
               'A setuid-root program was run by a non-root user in a container.',
               'A setuid-root program was executed by a non-root user'),
          kind('RtsecCapabilityGained',
               'capset',
               'A task gained capabilities with capset in a container.',
               'capset raised effective capabilities'),
          kind('RtsecKernelExploitEscalation',
               'creds_to_root',
               'A task became root without a set*id call or a setuid exec.',
               'A task seen non-root was later root with no legitimate way there (kernel exploit)',
               false),
          syscall('RtsecPtraceInContainer', ['ptrace'], 'A process was traced (attach, poke or traceme) in a container.'),
          syscall('RtsecProcessMemoryWrite', ['process_vm_writev'], "A process wrote another process's memory in a container."),
          syscall('RtsecKernelModuleLoadAttempt',
                  ['init_module', 'finit_module', 'delete_module', 'kexec_load'],
                  'A kernel module load or kexec was attempted.',
                  false) + (if std.length(c.hostTrustedActors) == 0 then {} else {
                              expr: '%sunless on (%s)\n%s{container_id="", container=~"%s"}\n' % [super.expr, c.containerLabels, r.syscallIncrease, u.anyOf(c.hostTrustedActors)],
                            }),
          syscall('RtsecBPFProgramLoadInContainer', ['bpf'], 'A BPF program load was attempted in a container.'),
          syscall('RtsecNamespaceChangeInContainer', ['setns', 'unshare'], 'A process changed namespaces in a container.'),
          syscall('RtsecMountInContainer', ['mount', 'umount2', 'pivot_root', 'chroot'], 'A mount-family syscall was made in a container.'),
          syscall('RtsecOpenByHandleAt', ['open_by_handle_at'], 'open_by_handle_at was called in a container (shocker escape).'),
          syscall('RtsecUserfaultfdInContainer', ['userfaultfd'], 'userfaultfd was called in a container.'),
          // 32-bit syscalls skip the tracepoints of the alerts above (docs/process.md). runc is 64-bit: no
          // startup guard.
          event('RtsecCompatSyscallEvasion',
                r.compatIncrease,
                'class!="other"',
                'A 32-bit syscall hidden from the per-syscall signals changed namespaces, privileges, mounts or the kernel.',
                'A 32-bit (ia32) syscall of class {{ $labels.class }}, which the sensitive syscall and privilege signals do not see, was made'),
          a.new(c,
                'RtsecCompatSyscallsInContainer',
                'sum by (%s) (%s{%s})\n' % [
                  c.containerLabels,
                  r.compatIncrease,
                  u.matchers(['container_id!=""', u.notIn('namespace', c.trustedNamespaces + c.compatSyscallNamespaces)]),
                ],
                'A container made 32-bit syscalls.',
                '{{ $value | printf "%%.0f" }} 32-bit (ia32) syscalls in the last %s %s, whose namespace is not in _config.compatSyscallNamespaces: a 32-bit program runs there, and the per-syscall signals do not see its calls.' % [c.eventWindow, where]),
        ],
      },
    ],
  },
}
