"""interview cases (约谈) and their records; who recorded a follow-up record in the browser, meeting participants

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('followups') as batch:
        batch.add_column(sa.Column('participants', sa.Text(), nullable=True))
        batch.add_column(sa.Column('recorded_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('recorded_at', sa.DateTime(), nullable=True))
    op.create_table('interview_cases',
                    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('month', sa.String(length=7), nullable=False),
                    sa.Column('county_code', sa.String(length=12), nullable=False),
                    sa.Column('level', sa.String(length=16), nullable=False),
                    sa.Column('flags', sa.String(length=64), nullable=False),
                    sa.Column('reason', sa.Text(), nullable=False),
                    sa.Column('circular_id', sa.Integer(), nullable=True),
                    sa.Column('created_by', sa.String(length=64), nullable=False),
                    sa.Column('created_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['circular_id'], ['circulars.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('month', 'county_code', name='uq_interview_cases_month_county'))
    op.create_table('interview_records',
                    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
                    sa.Column('case_id', sa.Integer(), nullable=False),
                    sa.Column('valid_from', sa.String(length=7), nullable=False),
                    sa.Column('held_on', sa.Date(), nullable=False),
                    sa.Column('interviewee', sa.String(length=256), nullable=False),
                    sa.Column('interviewer', sa.String(length=256), nullable=False),
                    sa.Column('record', sa.Text(), nullable=False),
                    sa.Column('attachment_name', sa.String(length=256), nullable=True),
                    sa.Column('attachment_blob', sa.LargeBinary(), nullable=True),
                    sa.Column('recorded_by', sa.String(length=64), nullable=False),
                    sa.Column('recorded_at', sa.DateTime(), nullable=False),
                    sa.ForeignKeyConstraint(['case_id'], ['interview_cases.id']),
                    sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_interview_records_case_id', 'interview_records', ['case_id'])


def downgrade() -> None:
    op.drop_index('ix_interview_records_case_id', table_name='interview_records')
    op.drop_table('interview_records')
    op.drop_table('interview_cases')
    with op.batch_alter_table('followups') as batch:
        batch.drop_column('recorded_at')
        batch.drop_column('recorded_by')
        batch.drop_column('participants')
