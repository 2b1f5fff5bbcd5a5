from django.db import models


class Stamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Note(Stamped):
    title = models.CharField(max_length=200)
    body = models.TextField(null=True)
