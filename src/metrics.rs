//! The native Prometheus endpoint: with `metrics-port` set, an HTTP
//! listener inside the reactor answers `GET /metrics` in the Prometheus
//! text exposition format.

/// The metrics listener and its HTTP connections.
#[derive(Default)]
pub struct MetricsState {}
