from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def forget_cached_nomenclatures(sender, **kwargs):
    from nomenclatures import cache

    cache.clear()


class NomenclaturesConfig(AppConfig):
    name = "nomenclatures"
    verbose_name = "Nomenclatures (NOS)"

    def ready(self):
        # A row written in this process is read again at once (other processes: nomenclatures.cache.MAX_AGE).
        for model in self.get_models():
            post_save.connect(forget_cached_nomenclatures, sender=model, dispatch_uid=f"nomenclatures-{model}-save")
            post_delete.connect(forget_cached_nomenclatures, sender=model, dispatch_uid=f"nomenclatures-{model}-del")
