from sqlalchemy import text

from demo.db import create_schema, make_engine


def test_schema_creates_on_each_engine(db_url: str) -> None:
    engine = make_engine(db_url)
    create_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from accounts")).scalar_one() == 0
    engine.dispose()
