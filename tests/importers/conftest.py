from tests.support.mariadb import osticket_database  # noqa: F401
