"""`python -m services.logs`: the logs gRPC service (SPEC §2, §7 "Logs")."""

from services.common.kit import main

if __name__ == "__main__":
    main("logs")
