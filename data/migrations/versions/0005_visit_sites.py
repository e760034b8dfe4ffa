"""the sites a follow-up record names (a 督导督查 visit covering several sites of its county)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('followup_sites',
                    sa.Column('followup_id', sa.Integer(), nullable=False),
                    sa.Column('site_code', sa.String(length=32), nullable=False),
                    sa.Column('position', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['followup_id'], ['followups.id']),
                    sa.PrimaryKeyConstraint('followup_id', 'site_code'))


def downgrade() -> None:
    op.drop_table('followup_sites')
