from django.urls import path

from booking import views

urlpatterns = [
    path("calcom/webhook/<str:webhook_key>", views.CalendarNoticeView.as_view(), name="calcom-webhook"),
]
