// Dashboard settings of the rtsec mixin beyond those in config.libsonnet
// (whose clusterLabel also names the dashboards' cluster label).
// Override with `mixin { _config+:: { ... } }`.
{
  _config+:: {
    // Show the cluster variable on every dashboard (the kubernetes-mixin convention). Hidden by default:
    // with one cluster it selects the only value, or the empty value when the series carry no cluster label.
    showMultiCluster: false,
  },
}
