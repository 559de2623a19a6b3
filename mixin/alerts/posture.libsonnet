// Alerts on container posture (rtsec_container_posture_info and friends):
// configurations that make an escape one step away.
local a = import '../lib/alert.libsonnet';
local u = import '../lib/utils.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local where = 'Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} (container_id {{ $labels.container_id }}) on {{ $labels.instance }}',
    local sel(metric, matchers='') = '%s{%s}' % [metric, u.matchers([c.rtsecSelector, matchers, u.notIn('namespace', c.trustedNamespaces)])],
    groups+: [
      {
        name: 'rtsec-posture',
        rules: [
          a.new(c,
                'RtsecPrivilegedContainer',
                'max by (%s) (%s) == 1\n' % [c.containerLabels, u.lastValue(c, sel('rtsec_container_posture_info', 'privileged="true"'))],
                'A privileged container is running.',
                '%s holds every dangerous capability (privileged or cap_add ALL).' % where),
          a.new(c,
                'RtsecContainerHostNamespace',
                'max by (%s, ns) (%s) == 1\n' % [c.containerLabels, u.lastValue(c, sel('rtsec_container_host_namespace', 'ns=~"%s"' % u.anyOf(c.postureHostNamespaces)))],
                'A container shares a namespace with the host.',
                "%s shares the host's {{ $labels.ns }} namespace." % where),
          a.new(c,
                'RtsecContainerSensitiveMount',
                'max by (%s, mount) (%s) == 1\n' % [c.containerLabels, u.lastValue(c, sel('rtsec_container_sensitive_mounts', 'mount=~"%s"' % u.anyOf(c.postureSensitiveMounts)))],
                'A sensitive host path is mounted into a container.',
                '%s has the host path class {{ $labels.mount }} mounted in.' % where),
        ],
      },
    ],
  },
}
