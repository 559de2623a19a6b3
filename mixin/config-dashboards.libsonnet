// Dashboard settings of the rtsec mixin beyond those in config.libsonnet.
// Override with `mixin { _config+:: { ... } }`.
{
  _config+:: {
    // Label that names a cluster when one Prometheus, Thanos or Mimir holds several clusters' series
    // (the kubernetes-mixin convention). config.libsonnet defines it too for the rules; both default to 'cluster'.
    clusterLabel: 'cluster',
    // Show the cluster variable on every dashboard. Hidden by default: with one cluster it selects
    // the only value, or the empty value when the series carry no cluster label.
    showMultiCluster: false,
  },
}
