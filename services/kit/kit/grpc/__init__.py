"""gRPC adapters for nameko services (nameko-grpc, never grpcio calls)."""
from kit.grpc import patch  # noqa: F401  (latency fixes before any server starts)
