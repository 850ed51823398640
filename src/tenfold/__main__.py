"""``python -m tenfold`` (and ``torchrun -m tenfold``) runs the command line."""

from tenfold.cli import main

if __name__ == "__main__":
    main()
