// _config of the container posture signals (rtsec_container_posture_info,
// _host_namespace, _sensitive_mounts): what alerts and the settings of the
// posture alerts.
{
  _config+:: {
    // Posture alerts: namespaces whose sharing with the host alerts, and the sensitive mounts that do.
    postureHostNamespaces: ['pid', 'net', 'ipc'],
    postureSensitiveMounts: ['docker_sock', 'containerd_sock', 'crio_sock', 'root', 'var_run', 'etc', 'proc', 'sys', 'dev', 'var_lib_kubelet', 'var_lib_docker', 'var_lib_containerd', 'boot', 'root_home'],

    alerts+: {
      RtsecPrivilegedContainer: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecContainerHostNamespace: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
      RtsecContainerSensitiveMount: { severity: 'warning', 'for': '0m', category: 'privilege_escalation', mitre_technique: 'T1611' },
    },
  },
}
