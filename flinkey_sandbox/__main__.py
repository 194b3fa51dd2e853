"""Command line: serve the sandbox until Ctrl-C."""

import argparse
import sys
import threading

from . import DEMO, Sandbox


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the sandbox, print URL and credentials, wait for Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m flinkey_sandbox", description="A fake flinkey API v3 with demo data."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--extra-cars", type=int, default=0, metavar="N", help="add N generated cars to 1001"
    )
    parser.add_argument(
        "--extra-located",
        action="store_true",
        help="give the extra cars an IQ and a position history (fleet-map benchmark)",
    )
    parser.add_argument(
        "--large-event-car",
        type=int,
        nargs="?",
        const=100_000,
        default=0,
        metavar="N",
        help=f"car {DEMO.large_event_car_id} gets N more events (default 100000; timeline "
        "benchmark)",
    )
    parser.add_argument("--latency", type=float, default=0.0, metavar="S")
    parser.add_argument(
        "--revoke-token-every",
        type=int,
        default=0,
        metavar="N",
        help="revoke the token of every Nth request that carries a valid one (answered 401)",
    )
    parser.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate chain")
    parser.add_argument("--tls-key", metavar="PEM", help="the private key of --tls-cert")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    if args.extra_cars < 0 or args.latency < 0 or args.revoke_token_every < 0:
        parser.error("--extra-cars, --latency and --revoke-token-every must not be negative")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if not 0 <= args.large_event_car <= 100_000:
        parser.error("--large-event-car takes a count from 1 to 100000")

    sandbox = Sandbox(
        extra_cars=args.extra_cars,
        verbose=not args.quiet,
        extra_located=args.extra_located,
        large_event_car=args.large_event_car,
        tls=(args.tls_cert, args.tls_key) if args.tls_cert else None,
    )
    sandbox.faults.latency = args.latency
    sandbox.faults.revoke_token_every = args.revoke_token_every
    sandbox.start(args.host, args.port)
    print(f"flinkey sandbox serving at {sandbox.url}")
    print(f"  flinkey-API-Key: {DEMO.api_key}")
    print(f"  username:        {DEMO.username}")
    print(f"  password:        {DEMO.password}")
    print(f"  Customer-ID:     {DEMO.customer_id} (also {DEMO.other_customer_id})")
    if args.large_event_car:
        print(f"  car {DEMO.large_event_car_id} has {args.large_event_car} more events")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
