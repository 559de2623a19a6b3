// Alerts of the file signals: modifications of path classes, sensitive
// reads, and file integrity (rtsec_file_*).
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
    local trusted = c.trustedNamespaces + c.fileTrustedNamespaces,
    local listed = [ns for ns in std.objectFields(c.fileAllowedPerNamespace) if !std.member(trusted, ns)],
    // Events a young container made inside its workload's startup profile are quiet (lib/startup.libsonnet), but
    // the classes of startupAlwaysAlertPathClasses alert at any age.
    local always = c.startupAlwaysAlertPathClasses,
    local guarded(expr, label) =
      if label == 'path_class' then startup.guard(c, expr, 'path_class, op', r.fileModStartup)
      else startup.guard(c, expr, 'file_class', r.fileReadStartup),
    // Series of `record` with `matchers` that no allowlist covers: containers (guarded), and the host for classes
    // it is not allowed to touch (hostAllowed; null: never the host).
    local notAllowed(record, label, matchers, hostAllowed) =
      local inContainers(extra) = std.join('\nor\n', [
        '%s{%s}' % [record, u.matchers([matchers, extra, 'container_id!=""', u.notIn('namespace', trusted + listed)])],
      ] + [
        '%s{%s}' % [record, u.matchers([matchers, extra, 'container_id!=""', 'namespace="%s"' % ns, u.notIn(label, c.fileAllowedPerNamespace[ns])])]
        for ns in listed
      ]);
      local containers =
        if label != 'path_class' || std.length(always) == 0 then guarded(inContainers(''), label)
        else '%s\nor\n%s\n' % [std.rstripChars(guarded(inContainers(u.notIn('path_class', always)), label), '\n'), inContainers('path_class=~"%s"' % u.anyOf(always))];
      if hostAllowed == null then containers
      else std.rstripChars(containers, '\n') + '\nor\n%s{%s}\n' % [record, u.matchers([matchers, 'container_id=""', u.notIn(label, hostAllowed)])],
    // The events of a process counter in eventWindow, read from the counter in the alert's own query rather than
    // from its record: the record's group runs on its own schedule, so it can lag the file record a scrape behind,
    // and an exception read from it would let the alert fire for the one evaluation in between.
    local fresh(metric, matchers) =
      u.eventIncrease('%s{%s}' % [metric, u.matchers([c.rtsecSelector, matchers])], c.containerLabels, c.eventWindow),
    // Ops counted in addition to a modification's own op (files.bpf.c): a path with "..", an executable mode, a hidden name.
    local extraOps = ['traversal', 'exec_mode', 'hidden'],
    local mods(classes, ops='') = notAllowed(r.fileModIncrease,
                                             'path_class',
                                             u.matchers(['path_class=~"%s"' % u.anyOf(classes), if ops == '' then u.notIn('op', extraOps) else 'op=~"%s"' % ops]),
                                             c.fileHostAllowedClasses),
    local modAlert(name, classes, summary, what, ops='') =
      a.new(c,
            name,
            mods(classes, ops),
            summary,
            '%s: {{ $labels.op }} of a file in class {{ $labels.path_class }}, %s %s.' % [what, times, whereAny]),
    groups+: [
      {
        name: 'rtsec-file',
        rules: [
          modAlert('RtsecWriteBelowEtc',
                   ['etc', 'etc_passwd', 'etc_shadow', 'etc_group', 'etc_ssh', 'etc_pam'],
                   'A file below /etc was modified.',
                   'System configuration modified'),
          modAlert('RtsecWriteBelowBinaryDir',
                   ['bin_dirs', 'lib_dirs'],
                   'A file in a binary or library directory was modified.',
                   'Binaries or libraries modified'),
          modAlert('RtsecWriteBelowRoot',
                   ['root_home'],
                   "A file in root's home directory was modified.",
                   "Root's home modified"),
          modAlert('RtsecPackageDatabaseModified',
                   ['package_db'],
                   'The package database was modified in a running container.',
                   'Package database modified'),
          modAlert('RtsecCronJobScheduled',
                   ['etc_cron'],
                   'A cron job was scheduled.',
                   'Cron configuration modified'),
          modAlert('RtsecShellConfigModified',
                   ['shell_rc'],
                   'A shell startup file was modified.',
                   'Shell configuration modified'),
          modAlert('RtsecSudoersModified',
                   ['etc_sudoers'],
                   'The sudoers configuration was modified.',
                   'sudo rules modified'),
          modAlert('RtsecAuthorizedKeysModified',
                   ['ssh_authorized_keys'],
                   'An SSH authorized_keys file was modified.',
                   'SSH authorized keys modified'),
          a.new(c,
                'RtsecLdPreloadModified',
                '%s{path_class="etc_ld_preload", op!="traversal"}\n' % r.fileModIncrease,
                '/etc/ld.so.preload was modified.',
                'ld.so.preload modified (rootkit technique): {{ $labels.op }}, %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecReleaseAgentWrite',
                '%s{path_class="cgroup_release_agent"}\n' % r.fileModIncrease,
                'A cgroup release_agent or notify_on_release file was written.',
                'cgroup release agent written (container escape technique): {{ $labels.op }}, %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecContainerEntrypointModified',
                '%s{path_class="proc_exe", container_id!=""}\n' % r.fileModIncrease,
                "A container opened a process's executable through /proc for writing.",
                "/proc/<pid>/exe opened for writing (runc overwrite, CVE-2019-5736: the host's runtime binary is the target): {{ $labels.op }}, %s %s." % [times, where]),
          a.new(c,
                'RtsecExecutableDrift',
                notAllowed(r.fileModIncrease, 'path_class', 'op="exec_mode"', null),
                'A file was created executable or made executable in a container.',
                'Drift from the image: a file in class {{ $labels.path_class }} was created with an executable mode or chmod +x, %s %s.' % [times, where]),
          a.new(c,
                'RtsecHiddenFileCreated',
                notAllowed(r.fileModIncrease, 'path_class', 'op="hidden"', c.fileHostAllowedClasses),
                'A hidden file or directory was created in a system location.',
                'A name starting with "." was created in class {{ $labels.path_class }}, %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecLogCleared',
                notAllowed(r.fileModIncrease, 'path_class', 'path_class="log", op=~"truncate|unlink"', c.fileHostAllowedClasses),
                'Log files were truncated or deleted.',
                'Log clearing: {{ $labels.op }} of a file below /var/log, %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecShellHistoryDeleted',
                '%s{path_class="shell_history", op=~"truncate|unlink|rename|symlink|link"}\n' % r.fileModIncrease,
                'A shell history file was deleted, truncated or replaced.',
                'Shell history tampering: {{ $labels.op }}, %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecSensitiveFileLinked',
                '%s{op=~"link|symlink", path_class=~"%s"}\n' % [r.fileModIncrease, u.anyOf(c.fileLinkSensitiveClasses)],
                'A link or symlink to a sensitive file was created.',
                'A {{ $labels.op }} pointing into class {{ $labels.path_class }} was created %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecFileCreatedBelowDev',
                '%s{path_class="dev", container_id!=""}\n' % r.fileModIncrease,
                'A file was created below /dev in a container.',
                'File created below /dev: {{ $labels.op }}, %s %s.' % [times, where]),
          a.new(c,
                'RtsecSetuidBitSet',
                notAllowed(r.fileModIncrease, 'path_class', 'op="setuid_bit"', []),
                'A setuid or setgid bit was set.',
                'setuid/setgid bit set on a file in class {{ $labels.path_class }}, %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecDirectoryTraversal',
                '%s{op="traversal"}\nor\nlabel_replace(%s{file_class="traversal"}, "path_class", "sensitive_read", "", "")\n' % [r.fileModIncrease, r.fileReadIncrease],
                'A path with ".." resolved into a monitored file.',
                'Directory traversal toward class {{ $labels.path_class }}: a path argument with ".." resolved into it %s %s.' % [times, whereAny]),
        ],
      },
      {
        name: 'rtsec-file-read',
        rules: [
          a.new(c,
                'RtsecSensitiveFileRead',
                notAllowed(r.fileReadIncrease, 'file_class', 'file_class=~"%s"' % u.anyOf(c.fileSensitiveReadClasses), c.fileReadHostAllowedClasses),
                'A sensitive file was read.',
                'Sensitive file of class {{ $labels.file_class }} read %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecOtherProcessMemoryRead',
                notAllowed(r.fileReadIncrease, 'file_class', 'file_class=~"proc_environ|proc_mem"', c.fileReadHostAllowedClasses),
                "Another process's environment or memory was read.",
                '{{ $labels.file_class }} of another process read %s %s.' % [times, whereAny]),
          a.new(c,
                'RtsecShellConfigRead',
                '%s\nunless on (%s)\n%s' % [
                  std.rstripChars(notAllowed(r.fileReadIncrease, 'file_class', 'file_class="shell_config"', null), '\n'),
                  c.containerLabels,
                  fresh('rtsec_process_suspicious_execs_total', 'reason="tty_shell"'),
                ],
                'A shell configuration file was read by something other than an interactive shell.',
                'A shell startup file (/etc/profile, ~/.bashrc…) was read %s %s, where no shell with a terminal started: a script or tool inspecting it.' % [times, where]),
          a.new(c,
                'RtsecSSHClientFileRead',
                '%s\nunless on (%s)\n%s' % [
                  std.rstripChars(notAllowed(r.fileReadIncrease, 'file_class', 'file_class="ssh_client_config"', null), '\n'),
                  c.containerLabels,
                  fresh('rtsec_process_execs_total', 'binary=~"%s"' % u.anyOf(c.sshClientBinaries)),
                ],
                'SSH client files were read by something other than an SSH tool.',
                'SSH client files (~/.ssh/, /etc/ssh/ssh_config) were read %s %s, where no SSH tool ran: known hosts and keys name the next targets.' % [times, where]),
          a.new(c,
                'RtsecFileIntegrityChanged',
                '%s == 1\n' % u.lastValue(c, 'rtsec_file_integrity_changed{%(rtsecSelector)s}' % c),
                'A watched file differs from its integrity baseline.',
                '{{ $labels.path }} on {{ $labels.instance }} differs from its baseline (content, mode, owner or size) and the change has not been accepted.'),
          a.new(c,
                'RtsecFileIntegrityBaselineCorrupt',
                |||
                  (increase(rtsec_file_integrity_baseline_rebuilds_total{%(rtsecSelector)s, reason="corrupt"}[%(eventWindow)s]) > 0)
                  or
                  (
                    rtsec_file_integrity_baseline_rebuilds_total{%(rtsecSelector)s, reason="corrupt"} > 0
                    unless
                    %(ago)s
                  )
                ||| % (c { ago: u.valueAgo(c, 'rtsec_file_integrity_baseline_rebuilds_total{%(rtsecSelector)s, reason="corrupt"}' % c, c.eventWindow) }),
                'The file integrity baseline was corrupt and has been rebuilt.',
                'The integrity state file of {{ $labels.instance }} did not verify and was rebuilt from the current content: changes made before the rebuild are not detected.'),
        ],
      },
    ],
  },
}
