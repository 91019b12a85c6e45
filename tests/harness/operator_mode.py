"""operator_mode.py - the Python tests run services as operators do: as
nobody when started by root, with the modules reached through the test's
own 0700 folder (as a checkout under /root is), where only root may look."""
import getpass
import os


def service_user():
    """The user services run as: nobody under root, else our own."""
    return "nobody" if os.geteuid() == 0 else getpass.getuser()


def private_modules(folder, modules):
    """A link to the module folder inside folder (a 0700 temporary one)."""
    link = os.path.join(folder, "modules")
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(modules), link)
    return link
