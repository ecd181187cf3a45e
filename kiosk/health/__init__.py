"""The technician's health checks (no Qt): one check per part, the CLI and the kiosk's monitor.

- `kiosk.health.suite.HealthSuite`: builds every check from the kiosk config (and the
  devices a running kiosk holds) and runs them into a `shared.protocol.health.HealthReport`.
- `kiosk.health.cli`: `vw-health --config FILE [--json] [--only PART ...] [--test-page] [--report]`.
- `kiosk.health.monitor.HealthMonitor`: runs the checks at start and periodically, sends
  the reports to the hub and tells the offer which devices are unavailable.

Modules are imported where used: `kiosk.config` imports `kiosk.health.config`, so this
package's init stays free of imports.
"""
