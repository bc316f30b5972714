"""sslyze's check of one TLS server against Mozilla's "intermediate" profile, as JSON on stdout.

Run with the sslyze environment's Python (tests/rig/setup-venv.sh makes it: sslyze pins an older
cryptography than the collection's tooling):

    mozilla_tls.py <address> <port> <server name> <CA file>

Prints {"compliant": bool, "issues": {name: reason}}. The server's certificate is verified against
the given CA (the test PKI), so trust in a public root is not one of the issues; everything else
Mozilla's profile checks is (protocols, cipher suites, key exchange groups, certificate key and
lifetime, vulnerabilities).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sslyze import (
    CertificateInfoExtraArgument,
    ScanCommandsExtraArguments,
    Scanner,
    ServerNetworkLocation,
    ServerScanRequest,
    ServerScanStatusEnum,
)
from sslyze.mozilla_tls_profile.tls_config_checker import (
    SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
    MozillaTlsConfiguration,
    ServerNotCompliantWithTlsConfiguration,
    TlsConfigurationEnum,
    check_server_against_tls_configuration,
)


def main(address: str, port: str, name: str, ca_file: str) -> int:
    scanner = Scanner()
    scanner.queue_scans([ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=name, port=int(port), ip_address=address),
        scan_commands=SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
        scan_commands_extra_arguments=ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(ca_file))),
    )])
    result = next(iter(scanner.get_results()))
    if result.scan_status != ServerScanStatusEnum.COMPLETED:
        print(json.dumps({"compliant": False, "issues": {"scan": f"not completed: {result.connectivity_error_trace}"}}))
        return 1
    try:
        check_server_against_tls_configuration(result, MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE))
    except ServerNotCompliantWithTlsConfiguration as error:
        print(json.dumps({"compliant": False, "issues": dict(error.issues)}))
        return 0
    print(json.dumps({"compliant": True, "issues": {}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
