from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from app.config import DATABASE_URL

Session = sessionmaker(bind=create_engine(DATABASE_URL))
