"""Clinic Appointments API: the cdspec clinic example's reference implementation."""
