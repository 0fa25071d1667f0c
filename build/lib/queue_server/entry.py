"""The `hallq` command. gevent patches the standard library before anything else loads."""

from gevent import monkey

monkey.patch_all()


def main() -> None:
    """Run the hallq command line."""
    from .cli import cli

    cli()


if __name__ == "__main__":
    main()
