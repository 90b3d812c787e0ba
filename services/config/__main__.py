"""`python -m services.config`: the config gRPC service (SPEC §2)."""

from services.common.kit import main

if __name__ == "__main__":
    main("config")
