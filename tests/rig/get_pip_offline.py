"""Stand-in for the pip bootstrap script ansible-test downloads from ci-files.testing.ansible.com.

That host is out of reach here (only the package registries are), so tests/rig/setup-venv.sh puts
this file in ansible-test's cache as get_pip_<version>.py beside the pip wheel of that version,
fetched from PyPI. Like the real script, it installs pip (and the packages it is given) into the
running interpreter, here by running pip straight from the wheel.
"""

import glob
import os
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    version = os.path.splitext(os.path.basename(__file__))[0].replace("get_pip_", "").replace("_", ".")
    wheels = glob.glob(os.path.join(here, "pip-%s-*.whl" % version))
    if not wheels:
        sys.exit("no pip %s wheel beside %s" % (version, __file__))
    # The real script accepts these to skip setuptools and wheel; pip itself does not know them.
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    sys.path.insert(0, wheels[0])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    sys.exit(pip_main(["install", "--upgrade"] + args))


if __name__ == "__main__":
    main()
