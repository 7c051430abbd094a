"""Extensions, created unbound and bound to the app in ``create_app``."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """The declarative base of every table."""


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
migrate = Migrate()
