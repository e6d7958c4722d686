"""Files only the site's own user may read: the secret key, the messages and copies of them."""

import os
import stat

PRIVATE = 0o600


def open_private(path, overwrite: bool = False) -> int:
    """A descriptor open for writing ``path``, mode 0600 whatever the umask or an older file's mode.

    Never through a symbolic link (OSError), and never over an existing file unless
    ``overwrite`` (FileExistsError); something other than a regular file is refused
    (IsADirectoryError). The caller closes the descriptor.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if overwrite else os.O_EXCL)
    descriptor = os.open(path, flags, PRIVATE)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise IsADirectoryError(f"{path} is not a regular file")
    os.fchmod(descriptor, PRIVATE)  # an existing file overwritten keeps no wider mode
    return descriptor


def create_private(path) -> bool:
    """Create ``path`` empty and private; False when it already exists (left as it is)."""
    try:
        os.close(open_private(path))
    except FileExistsError:
        return False
    return True
